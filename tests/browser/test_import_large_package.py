"""A real package export of dozens of functions imports from one compact table: the rows
can be filtered and ticked all at once or none, the page stays short and fits a phone."""

import json

import pytest
from playwright.sync_api import expect

from codeengine_ui.catalog.models import Function
from codeengine_ui.demo.exports import DEMO_FUNCTIONS, exported_version

from .conftest import log_in, settled
from .test_layout_fits import OVERFLOWS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _read(page, count: int) -> None:
    page.goto("/functions/import/")
    page.get_by_label("Paste an app's manifest.json").fill(json.dumps(exported_version(count)))
    page.get_by_role("button", name="Read functions").click()
    settled(page)


def test_a_large_export_is_one_short_table_that_filters_and_selects(
    page, member, instance, developer_token
):
    log_in(page, "member", "member-password")
    page.set_viewport_size({"width": 1280, "height": 900})
    _read(page, 30)

    rows = page.locator("#import-rows tr")
    expect(rows).to_have_count(30)
    count = page.locator("[data-row-count]")
    expect(count).to_have_text("30 of 30 selected.")
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 3000, f"the page is {height} px high"
    assert page.evaluate(OVERFLOWS) == []
    expect(page.get_by_text("Not found on the instance")).to_have_count(1), "explained once"
    for name in DEMO_FUNCTIONS:  # the instance has these
        row = rows.filter(has=page.get_by_text(name, exact=True))
        expect(row.locator(".badge")).to_have_text("Found")
    missing = 30 - len(DEMO_FUNCTIONS)
    expect(page.locator(".state-missing")).to_have_count(1 + missing)  # the legend's, each row's

    page.get_by_role("button", name="Select none").click()
    expect(count).to_have_text("0 of 30 selected.")
    assert page.locator("#import-rows input[type=checkbox]:checked").count() == 0

    page.get_by_label("Filter the functions").fill("invoice")
    shown = page.locator("#import-rows tr:visible")
    expect(shown).to_have_count(4)
    page.get_by_role("button", name="Select all").click()
    expect(count).to_have_text("4 of 30 selected, 4 shown.")
    page.get_by_label("Filter the functions").fill("no-such-thing")
    expect(count).to_have_text("4 of 30 selected, 0 shown. No function matches the filter.")
    page.get_by_label("Filter the functions").fill("")
    expect(page.locator("#import-rows tr:visible")).to_have_count(30)
    summary = rows.nth(4).locator("details.row-override summary")
    summary.click()
    rows.nth(4).locator("select[name$='-token']").select_option(str(developer_token.pk))
    summary.click()
    expect(summary).to_contain_text("Changed for this function")
    expect(count).to_have_text("4 of 30 selected.")

    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".import-summary")).to_have_text(
        "Saving creates 4 functions and updates 0; 26 are left out."
    )
    page.get_by_role("button", name="Save functions").click()

    expect(page.locator(".imported-filter")).to_contain_text(
        "Showing only the functions saved by one import: 4"
    )
    expect(page.locator(".function-card")).to_have_count(4)
    assert "imported=" in page.url
    saved = Function.objects.order_by("function_name")
    assert all("Invoice" in f.function_name for f in saved) and len(saved) == 4
    assert {f.entity_sub_type for f in saved} == {"amazon-bedrock"}
    page.get_by_role("link", name="Show all functions").click()
    expect(page.locator(".imported-filter")).to_have_count(0)
    assert page.problems == []


def test_the_table_fits_a_phone(browser, live_server, member, instance, developer_token):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in(page, "member", "member-password")
    _read(page, 26)

    expect(page.locator("#import-rows tr")).to_have_count(26)
    assert page.evaluate(OVERFLOWS) == []
    row = page.locator("#import-rows tr").nth(3)
    row.locator("summary").click()
    expect(page.locator("#id_fn3-token")).to_be_visible()
    expect(row.locator(".wiring-choices")).to_contain_text("Pick from the instance: 3 packages")
    assert page.evaluate(OVERFLOWS) == []
    context.close()
