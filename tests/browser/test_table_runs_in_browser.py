"""A run over a table in Chromium: upload a CSV with a multi-line cell and a time with
seconds, see row errors by row and column, run the valid rows, follow the progress, filter,
export, and run a failed row again; the values reach Code Engine exactly as in the cells."""

import pytest
from playwright.sync_api import expect

from codeengine_ui.tables.models import TableRun
from tests.conftest import save_demo_function

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = (
    "text,time,number\r\n"
    '"Line one\r\nline two",14:30:05,1\r\n'
    "plain,09:00:00,two\r\n"
    "last,23:59:59,3\r\n"
)


def test_a_table_runs_from_the_function_page_with_values_exactly_as_in_the_cells(
    page, worker_thread, member, instance, developer_token, emulator, tmp_path
):
    function = save_demo_function(instance, developer_token, "describeTypes")
    table = tmp_path / "values.csv"
    table.write_bytes(CSV.encode())
    before = emulator.server.emulator.runs_received
    log_in(page, "member", "member-password")

    page.goto(f"/functions/{function.pk}/run/")
    page.get_by_role("link", name="Run over a table").click()
    page.get_by_label("File", exact=True).set_input_files(str(table))
    page.get_by_role("button", name="Read the table").click()

    errors = page.locator("table.row-errors tbody tr")
    expect(errors).to_have_count(1)
    expect(errors).to_contain_text("2")
    expect(errors).to_contain_text("number")
    expect(errors).to_contain_text('Expected a whole number (e.g. 42), got text "two".')
    expect(page.get_by_role("status").first).to_contain_text("1 row does not fit")
    page.get_by_role("button", name="Run the 2 valid rows").click()

    expect(page.locator(".table-summary")).to_contain_text("2 of 2 done: 2 succeeded, 0 failed")
    sent = [body["inputVariables"] for _, _, name, body
            in emulator.server.emulator.runs_since(before) if name == "describeTypes"]  # fmt: skip
    assert sorted((s["text"], s["time"], s["number"]) for s in sent) == [
        ("Line one\r\nline two", "14:30:05", 1), ("last", "23:59:59", 3)]  # fmt: skip
    rows = page.locator("table.table-results tbody tr")
    expect(rows).to_have_count(3)

    page.get_by_label("Status").select_option("skipped")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Not run")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    exported = download.value.path().read_text()
    assert exported.splitlines()[0].startswith("row,line,text,number,decimal")
    assert len(exported.strip().splitlines()) == 2
    assert not page.problems


def test_a_failed_row_runs_again_from_its_page(page, worker_thread, member, instance,
                                               developer_token, tmp_path):  # fmt: skip
    function = save_demo_function(instance, developer_token, "failWithError")
    table = tmp_path / "reasons.jsonl"
    table.write_text('{"reason": "one"}\n{"reason": "two"}\n')
    log_in(page, "member", "member-password")

    page.goto(f"/functions/{function.pk}/table/")
    page.get_by_label("File", exact=True).set_input_files(str(table))
    page.get_by_role("button", name="Read the table").click()
    page.get_by_role("button", name="Run 2 rows").click()
    expect(page.locator(".table-summary")).to_contain_text("2 of 2 done: 0 succeeded, 2 failed")
    page.get_by_role("button", name="Run row 2 again").click()

    expect(page.get_by_role("status").first).to_contain_text("1 failed row queued again")
    expect(page.locator(".table-summary")).to_contain_text("2 of 2 done: 0 succeeded, 2 failed")
    assert [row.attempts for row in TableRun.objects.get().rows.order_by("number")] == [1, 2]


def test_a_dataset_picked_with_the_picker_runs_row_by_row(page, worker_thread, member, greet,
                                                          emulator):  # fmt: skip
    before = emulator.server.emulator.runs_received
    log_in(page, "member", "member-password")

    page.goto(f"/functions/{greet.pk}/table/")
    page.get_by_label("A Domo DataSet").check()
    page.get_by_label("DataSet", exact=True).press_sequentially("people")
    option = page.get_by_role("listbox", name="Suggestions").get_by_role("option")
    expect(option).to_contain_text("People to greet")
    option.click()
    page.get_by_role("button", name="Read the table").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("People to greet")
    expect(page.locator(".preview-summary")).to_contain_text("All 12 rows fit the inputs")
    page.get_by_role("button", name="Run 12 rows").click()

    expect(page.locator(".table-summary")).to_contain_text("12 of 12 done: 12 succeeded")
    received = emulator.server.emulator.runs_since(before)
    sent = [body["inputVariables"] for _, _, name, body in received if name == "greet"]
    assert {"name": "Ada", "excited": True} in sent
    assert {"name": "Alan", "excited": None} in sent
    assert not page.problems
