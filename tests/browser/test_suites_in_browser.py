"""A run saved as a test, grouped in a suite, the suite run watched live in the browser:
pass, fail and error side by side, and a changing value ignored in one click."""

import pytest
from playwright.sync_api import expect

from codeengine_ui.suites.models import Case
from tests.conftest import save_demo_function, stored_run

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_suite_run_fills_in_live_with_pass_fail_and_error(
    page, worker_thread, member, instance, developer_token
):
    greet = save_demo_function(instance, developer_token, "greet")
    average = save_demo_function(instance, developer_token, "averageOf")
    ran = stored_run(greet, developer_token, member, {"name": "Ada", "excited": False},
                     status="SUCCESS", result="Hello, Ada.")  # fmt: skip
    Case.objects.create(
        function=greet, name="greets Grace", input_variables={"name": "Grace", "excited": False},
        expectations=[{"kind": "snapshot"}], snapshot="Hello, Ada.",
    )  # fmt: skip
    Case.objects.create(
        function=average, name="old inputs", input_variables={"values": "not a list"},
        expectations=[{"kind": "outcome"}],
    )  # fmt: skip
    log_in(page, "member", "member-password")

    page.goto(f"/executions/{ran.pk}/")
    page.get_by_role("button", name="Save as test").click()
    expect(page.get_by_role("heading", name="greet as in run")).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Tests").click()
    page.get_by_role("textbox", name="Name", exact=True).fill("Release checklist")
    for name in ("greet as in run", "greets Grace", "old inputs"):
        page.get_by_label(name, exact=False).check()
    page.get_by_role("button", name="Create the suite").click()
    page.get_by_role("button", name="Run the suite").click()

    live = page.locator("#suite-run-live")
    expect(live.locator(".suite-summary")).to_have_text(
        "Finished: 1 pass, 1 fail, 1 error.", timeout=15_000
    )
    grace = live.locator(".case-result", has_text="greets Grace")
    expect(grace.locator(".badge").first).to_have_text("Fail")
    expect(grace.locator("tr.diff-changed")).to_contain_text('"Hello, Grace."')
    expect(live.locator(".case-result", has_text="old inputs")).to_contain_text("no longer fit")

    grace.get_by_role("button", name="Ignore (value) in greets Grace").click()
    expect(page.get_by_text("“greets Grace” now ignores (value).")).to_be_visible()
    assert Case.objects.get(name="greets Grace").ignore_paths == ["(value)"]
    assert page.problems == []
