import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from codeengine_ui.demo.package import DEMO_PACKAGE_ID
from tests.conftest import save_demo_function

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_nested_list_of_objects_is_edited_in_place_and_sent_exactly(
    page, worker_thread, member, instance, developer_token, emulator
):
    save_demo_function(instance, developer_token, "summariseOrder")
    log_in(page, "member", "member-password")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Functions").click()
    page.get_by_role("link", name="Summarise an order").first.click()
    page.evaluate("window.pageLoadMarker = 'still the same page'")

    order = page.get_by_role("group", name="order")
    order.get_by_label("orderId").fill("B-7")
    order.get_by_label("customer").fill("42")
    add_line = page.get_by_role("button", name="Add lines item")
    for _ in range(3):
        add_line.click()
    expect(page.get_by_role("group", name="lines 3")).to_be_visible()  # the last add landed
    for number, (sku, quantity, price) in enumerate(
        [("A", "2", "1.5"), ("B", "9", "9.99"), ("C", "1", "0.1")], start=1
    ):
        line = page.get_by_role("group", name=f"lines {number}")
        expect(line).to_be_visible()
        line.get_by_label("sku").fill(sku)
        line.get_by_label("quantity").fill(quantity)
        line.get_by_label("unitPrice").fill(price)
    page.get_by_role("button", name="Remove lines 2").click()
    page.get_by_role("button", name="Move lines 2 up").click()
    page.get_by_role("button", name="Add tags item").click()
    page.get_by_role("textbox", name="tags 1", exact=True).fill("rush")
    expect(page.get_by_role("group", name="lines 1").get_by_label("sku")).to_have_value("C")

    assert page.evaluate("window.pageLoadMarker") == "still the same page"
    page.get_by_role("button", name="Run function").click()
    expect(page.locator("#execution-live .badge")).to_have_text("Success", timeout=10_000)

    _package, _version, function, body = emulator.server.emulator.received_runs[-1]
    assert function == "summariseOrder"
    assert body["inputVariables"] == {
        "order": {
            "orderId": "B-7",
            "customer": "42",
            "lines": [
                {"sku": "C", "quantity": 1, "unitPrice": 0.1},
                {"sku": "A", "quantity": 2, "unitPrice": 1.5},
            ],
        },
        "notes": None,
        "tags": ["rush"],
    }
    assert page.problems == []


def test_json_tab_round_trip_reports_misfits_at_their_fields(
    page, member, instance, developer_token
):
    save_demo_function(instance, developer_token, "addNumbers")
    log_in(page, "member", "member-password")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Functions").click()
    page.get_by_role("link", name="Add two numbers").first.click()

    page.get_by_role("button", name="JSON").click()
    editor = page.get_by_label("inputVariables sent to Code Engine")
    expect(editor).to_be_visible()
    assert json.loads(editor.input_value()) == {"a": 1, "b": 2}
    editor.fill('{"a": "seven", "b": 5}')
    page.get_by_role("button", name="Form").click()

    expect(page.get_by_role("spinbutton", name="b", exact=True)).to_have_value("5")
    expect(page.locator(".field.has-error .field-error")).to_have_text(
        'Expected a whole number (e.g. 42), got text "seven".'
    )
    expect(page.get_by_role("button", name="Form")).to_have_attribute("aria-pressed", "true")
    assert re.search(r"/functions/\d+/run/$", page.url)
    assert page.problems == []


def test_a_list_longer_than_the_form_draws_is_edited_as_json_and_sent_whole(
    page, worker_thread, member, instance, developer_token, emulator
):
    save_demo_function(instance, developer_token, "averageOf")
    values = [round(index * 0.5, 1) for index in range(5000)]
    log_in(page, "member", "member-password")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Functions").click()
    page.get_by_role("link", name="Average of numbers").first.click()

    page.get_by_role("button", name="JSON").click()
    page.get_by_label("inputVariables sent to Code Engine").fill(
        json.dumps({"values": values, "roundTo": 2})
    )
    page.get_by_role("button", name="Form").click()

    expect(
        page.get_by_text("This list has 5,000 items; the form shows up to 1,000 fields")
    ).to_be_visible()
    field = page.get_by_role("textbox", name="values")
    assert json.loads(field.input_value()) == values
    page.get_by_role("button", name="Run function").click()
    expect(page.locator("#execution-live .badge")).to_have_text("Success", timeout=10_000)
    _package, _version, function, body = emulator.server.emulator.received_runs[-1]
    assert (function, body["inputVariables"]) == ("averageOf", {"values": values, "roundTo": 2})
    assert page.problems == []


DOCUMENTS = Path(__file__).parent.parent / "catalog" / "documents"


def _read_document(page, name: str) -> None:
    """Log in as a member and read one of the document fixtures on the import page."""
    log_in(page, "member", "member-password")
    page.goto("/functions/import/")
    page.get_by_label("Paste an app's manifest.json").fill((DOCUMENTS / name).read_text())
    page.get_by_role("button", name="Read functions").click()


def test_an_exported_version_is_imported_and_run_from_the_browser(
    page, worker_thread, member, instance, developer_token, emulator
):
    _read_document(page, "exported-version.json")

    expect(page.locator("#document-kind")).to_contain_text("Recognised an exported package version")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".import-summary")).to_contain_text("Saving creates")
    page.get_by_role("button", name="Save functions").click()
    expect(page.get_by_role("link", name="Greet someone").first).to_be_visible()
    page.get_by_role("link", name="Greet someone").first.click()
    expect(page.get_by_text('Declared as "STRING", treated as text.')).to_be_visible()
    page.get_by_role("textbox", name="Name").fill("Ada")
    page.get_by_role("button", name="Run function").click()

    expect(page.locator("#execution-live .badge")).to_have_text("Success", timeout=10_000)
    _package, version, function, body = emulator.server.emulator.received_runs[-1]
    assert (version, function) == ("1.1.0", "greet")
    assert body["inputVariables"] == {"name": "Ada", "excited": False}
    assert page.problems == []


def test_an_app_manifest_with_string_types_is_wired_mapped_and_run_from_the_browser(
    page, worker_thread, member, instance, developer_token, emulator
):
    _read_document(page, "string-typed-manifest.json")
    page.locator("#id_all-package_id").fill(DEMO_PACKAGE_ID)  # once for the document
    page.locator("#id_all-version").fill("1.1.0")
    for index, function in enumerate(["greet", "averageOf"]):
        page.locator(f"#id_fn{index}-function_name").fill(function)
    page.get_by_role("button", name="Continue").click()

    expect(page.locator("#id_map0-alias0")).to_have_value("name")
    expect(page.locator("#id_map1-alias0")).to_have_value("values")
    expect(
        page.get_by_text("domo.post('/domo/codeengine/v2/packages/askQuestion'")
    ).to_be_attached()
    page.get_by_role("button", name="Save functions").click()
    page.get_by_role("link", name="Greet someone").first.click()
    page.get_by_role("textbox", name="Name").fill("What is ARR?")
    page.get_by_role("button", name="Run function").click()

    expect(page.locator("#execution-live .badge")).to_have_text("Success", timeout=10_000)
    body = emulator.server.emulator.received_runs[-1][3]
    assert body["inputVariables"] == {"name": "What is ARR?", "excited": False}
    assert page.problems == []
