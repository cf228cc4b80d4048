"""A run over a table from the function's page: upload, map, preview with row errors by
row and column, run (the valid rows), follow, filter, export, run failed rows again."""

import json
import re
import time

import pytest

from codeengine_ui.runs.models import Execution, RunSource
from codeengine_ui.tables.models import TableRun
from tests.conftest import save_demo_function

pytestmark = pytest.mark.django_db(transaction=True)


def _upload(client, function, name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        f"/functions/{function.pk}/table/",
        {"source": "file", "file": SimpleUploadedFile(name, content)},
    )


def _finished(table_run: TableRun, client, timeout: float = 20) -> TableRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        client.get(f"/table-runs/{table_run.pk}/progress/")
        table_run.refresh_from_db()
        if table_run.is_finished:
            return table_run
        time.sleep(0.05)
    raise AssertionError("the table run did not finish")


def _text(response) -> str:
    return re.sub(r"<[^>]+>", "", response.content.decode())


@pytest.fixture
def add(instance, developer_token):
    return save_demo_function(instance, developer_token, "addNumbers")


def test_row_errors_are_shown_by_row_and_column_before_anything_runs(member_client, add):
    response = _upload(member_client, add, "pairs.csv", b"A,b\n1,2\nx,3\n4,1.5\n")
    table_run = TableRun.objects.get()

    assert response.status_code == 302
    page = member_client.get(response.url).content.decode()
    assert "2 rows do not fit" in page
    assert "Expected a whole number (e.g. 42), got text" in page
    assert '<td class="cell-token">2</td><td class="cell-token">3</td><td>A</td><td>a</td>' in page
    assert not Execution.objects.exists()
    assert table_run.mapping == {"a": {"column": "A"}, "b": {"column": "b"}}


def test_only_the_valid_rows_run_and_each_becomes_a_table_run(member_client, add, developer_token,
                                                              worker_thread):  # fmt: skip
    _upload(member_client, add, "pairs.csv", b"a,b\n1,2\nx,3\n4,5\n")
    table_run = TableRun.objects.get()
    form = {"token": developer_token.pk, "map-a": "column:a", "map-b": "column:b",
            "judged_by": "", "action": "start"}  # fmt: skip

    refused = member_client.post(f"/table-runs/{table_run.pk}/mapping/", form)
    started = member_client.post(f"/table-runs/{table_run.pk}/mapping/",
                                 {**form, "action": "start_valid"})  # fmt: skip

    assert refused.status_code == 422
    assert "1 row does not fit the function&#x27;s inputs" in refused.content.decode()
    assert started.status_code == 302
    table_run = _finished(TableRun.objects.get(), member_client)
    runs = Execution.objects.order_by("pk")
    assert [run.input_variables for run in runs] == [{"a": 1, "b": 2}, {"a": 4, "b": 5}]
    assert {run.source for run in runs} == {RunSource.TABLE}
    assert {run.batch_id for run in runs} == {table_run.uuid}
    assert [r.result for r in runs] == [3, 9]
    page = _text(member_client.get(f"/table-runs/{table_run.pk}/"))
    assert "2 of 2 done: 2 succeeded, 0 failed" in page
    assert "1 row not run" in page


def test_an_expected_column_judges_each_row_and_the_results_filter_and_export(
    member_client, add, developer_token, worker_thread
):
    _upload(member_client, add, "sums.csv", b"a,b,sum\n1,2,3\n2,2,5\n")
    table_run = TableRun.objects.get()
    member_client.post(f"/table-runs/{table_run.pk}/mapping/", {
        "token": developer_token.pk, "map-a": "column:a", "map-b": "column:b",
        "judged_by": "column", "expect_column": "sum", "action": "start"})  # fmt: skip
    table_run = _finished(table_run, member_client)

    failed = member_client.get(f"/table-runs/{table_run.pk}/?verdict=fail").content.decode()
    exported = member_client.get(f"/table-runs/{table_run.pk}/results.jsonl")
    records = [json.loads(line) for line in b"".join(exported.streaming_content).splitlines()]

    assert 'data-row="2"' in failed and 'data-row="1"' not in failed
    assert "Column “sum”: $ should equal 5." in failed
    assert [(r["row"], r["result"], r["verdict"]) for r in records] == [(1, 3, "pass"),
                                                                      (2, 4, "fail")]  # fmt: skip
    csv_text = b"".join(
        member_client.get(f"/table-runs/{table_run.pk}/results.csv?verdict=pass").streaming_content
    ).decode()
    assert csv_text.splitlines()[0] == "row,line,a,b,status,run,result,error,verdict,unmet"
    assert csv_text.splitlines()[1].startswith("1,2,1,2,SUCCESS,")


def test_failed_rows_run_again(member_client, instance, developer_token, worker_thread):
    fail = save_demo_function(instance, developer_token, "failWithError")
    _upload(member_client, fail, "reasons.jsonl", b'{"reason": "one"}\n{"reason": "two"}\n')
    table_run = TableRun.objects.get()
    member_client.post(f"/table-runs/{table_run.pk}/mapping/", {
        "token": developer_token.pk, "map-reason": "column:reason", "action": "start"})  # fmt: skip
    table_run = _finished(table_run, member_client)

    member_client.post(f"/table-runs/{table_run.pk}/again/", {"row": "2"})
    again = _finished(table_run, member_client)

    rows = list(again.rows.order_by("number"))
    assert [row.attempts for row in rows] == [1, 2]
    assert Execution.objects.count() == 3
    assert Execution.objects.order_by("pk").last().input_variables == {"reason": "two"}


def test_an_expected_cell_is_read_as_a_spreadsheet_writes_it(
    member_client, add, developer_token, worker_thread
):
    _upload(member_client, add, "sums.csv", b"a,b,sum\n1,2,3.0\n1,2,03\n1,2, 3\n1,2,\n1,2,4\n")
    table_run = TableRun.objects.get()
    member_client.post(f"/table-runs/{table_run.pk}/mapping/", {
        "token": developer_token.pk, "map-a": "column:a", "map-b": "column:b",
        "judged_by": "column", "expect_column": "sum", "action": "start"})  # fmt: skip
    table_run = _finished(table_run, member_client)

    verdicts = dict(table_run.rows.values_list("number", "verdict"))
    empty = table_run.rows.get(number=4)

    assert verdicts == {1: "pass", 2: "pass", 3: "pass", 4: "fail", 5: "fail"}
    assert empty.unmet[0]["message"] == "Column “sum”: $ should equal null."
