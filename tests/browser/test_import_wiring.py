"""Wiring an app's functions picks the package, version and function from the instance,
and says before saving what is created and what is updated."""

import pytest
from playwright.sync_api import expect

from codeengine_ui.catalog.models import Function
from codeengine_ui.demo.package import DEMO_PACKAGE_ID, demo_app_manifest
from tests.conftest import save_demo_function

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_wiring_suggests_from_the_instance_and_the_summary_names_updates(
    page, member, instance, developer_token
):
    import json

    existing = save_demo_function(instance, developer_token, "averageOf")
    log_in(page, "member", "member-password")
    page.goto("/functions/import/")
    page.get_by_label("Paste an app's manifest.json").fill(json.dumps(demo_app_manifest()))
    page.get_by_role("button", name="Read functions").click()

    packages = page.locator("#all-packages option")
    expect(packages.first).to_be_attached()
    assert DEMO_PACKAGE_ID in packages.evaluate_all("options => options.map(o => o.value)")
    expect(page.locator("#id_all-package_id")).to_have_attribute("list", "all-packages")

    page.locator("#id_all-package_id").fill(DEMO_PACKAGE_ID)
    page.locator("#id_all-package_id").dispatch_event("change")
    expect(page.locator("#all-versions option[value='1.1.0']")).to_be_attached()
    page.locator("#id_all-version").fill("1.1.0")
    page.locator("#id_all-version").dispatch_event("change")
    for index, function in enumerate(["greet", "averageOf"]):
        page.locator(f"#id_fn{index}-function_name").focus()
        suggested = page.locator(f"#fn{index}-functions option[value='{function}']")
        expect(suggested).to_be_attached()
        page.locator(f"#id_fn{index}-function_name").fill(function)
    page.get_by_role("button", name="Continue").click()

    expect(page.locator(".import-summary")).to_have_text("Saving creates 1 function and updates 1.")
    update = page.locator(".import-update")
    expect(update).to_contain_text(f"Updates the saved function {existing.label}")
    expect(update).to_contain_text("App alias: none → averageAmount")
    assert Function.objects.get(pk=existing.pk).app_alias == ""
    page.get_by_role("button", name="Save functions").click()
    expect(page.get_by_role("heading", name="Functions")).to_be_visible()
    assert Function.objects.get(pk=existing.pk).app_alias == "averageAmount"
    assert page.problems == []
