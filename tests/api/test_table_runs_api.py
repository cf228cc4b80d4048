"""Runs over a table through the API: rows or a file's text, a mapping, row problems by
row and column, progress, the rows' results and export, failed rows again."""

import json
import time

import pytest

from codeengine_ui.runs.models import Execution, RunSource
from codeengine_ui.tables.models import TableRun
from tests.conftest import save_demo_function

pytestmark = pytest.mark.django_db(transaction=True)


def _finished(api, table_run_id: int, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = api.get(f"/table-runs/{table_run_id}").json()
        if found["progress"]["finished"]:
            return found
        time.sleep(0.05)
    raise AssertionError("the table run did not finish")


def test_a_file_with_rows_that_do_not_fit_is_refused_by_row_and_column(api, greet):
    content = "who,loud\nAda,yes\nGrace,maybe\n"
    mapping = {"name": "who", "excited": "loud"}
    file = {"name": "p.csv", "content": content}
    response = api.post("/table-runs", {"function": greet.pk, "mapping": mapping, "file": file})

    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "rows_do_not_fit"
    assert problem["errors"] == [
        {"row": 2, "line": 3, "column": "loud", "path": "line 3, column loud",
         "message": 'Expected true or false, got text "maybe".'}
    ]  # fmt: skip
    assert not TableRun.objects.exists() and not Execution.objects.exists()


def test_rows_run_judged_by_an_expected_column_and_read_back(api, instance, developer_token,
                                                            worker_thread):  # fmt: skip
    add = save_demo_function(instance, developer_token, "addNumbers")
    rows = [{"a": 1, "b": 2, "sum": 3}, {"a": 2, "b": 2, "sum": 5},
            {"a": "x", "b": 1, "sum": 1}]  # fmt: skip

    started = api.post("/table-runs", {"function": add.pk, "rows": rows, "only_valid": True,
                                       "expect_column": "sum"})  # fmt: skip
    finished = _finished(api, started.json()["id"])
    listed = api.get(f"/table-runs/{finished['id']}/rows", {"verdict": "fail"}).json()

    assert started.status_code == 201
    verdicts = {"pass": 1, "fail": 1, "error": 0, "pending": 0}
    assert finished["progress"] | {"elapsed_seconds": 0, "rate_per_second": 0} == {
        "total": 3, "skipped": 1, "queued": 0, "running": 0, "succeeded": 2, "failed": 0,
        "done": 2, "finished": True, "seconds_left": 0.0, "elapsed_seconds": 0,
        "rate_per_second": 0, "verdicts": verdicts}  # fmt: skip
    assert [(row["row"], row["result"]) for row in listed["rows"]] == [(2, 4)]
    assert {run.source for run in Execution.objects.all()} == {RunSource.TABLE}


def test_failed_rows_run_again(api, instance, developer_token, worker_thread):
    fail = save_demo_function(instance, developer_token, "failWithError")
    started = api.post("/table-runs", {"function": fail.pk, "rows": [{"reason": "no"}]}).json()
    _finished(api, started["id"])

    again = api.post(f"/table-runs/{started['id']}/again")
    _finished(api, started["id"])
    exported = api.get(f"/table-runs/{started['id']}/rows.jsonl")

    assert again.status_code == 201 and again.json()["queued"] == 1
    assert Execution.objects.count() == 2
    assert b'"status": "FAILED"' in b"".join(exported.streaming_content)


def test_a_mapping_to_a_missing_column_is_refused(api, greet):
    response = api.post("/table-runs", {"function": greet.pk, "rows": [{"name": "Ada"}],
                                        "mapping": {"name": "who"}})  # fmt: skip

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"path": "name", "message": "The table has no column \u201cwho\u201d."}
    ]


def test_an_uploaded_file_runs_with_its_options(client, member_key, instance, developer_token,
                                                worker_thread):  # fmt: skip
    from django.core.files.uploadedfile import SimpleUploadedFile

    add = save_demo_function(instance, developer_token, "addNumbers")
    options = json.dumps({"function": add.pk, "mapping": {"a": "first"}, "expect_column": "sum"})
    upload = SimpleUploadedFile("sums.csv", b"\xef\xbb\xbffirst,b,sum\r\n1,2,3\r\n")

    response = client.post("/api/v1/table-runs/upload", {"file": upload, "options": options},
                           HTTP_AUTHORIZATION=f"Bearer {member_key}")  # fmt: skip

    assert response.status_code == 201, response.content
    table_run = TableRun.objects.get()
    assert (table_run.source, table_run.source_name) == ("csv", "sums.csv")
    assert list(table_run.rows.values_list("input_variables", flat=True)) == [{"a": 1, "b": 2}]


def test_an_uploaded_file_past_the_limit_is_refused(client, member_key, greet, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MAX_UPLOAD_BYTES = 100
    upload = SimpleUploadedFile("big.csv", b"name\n" + b"Ada\n" * 100)

    response = client.post("/api/v1/table-runs/upload", {
        "file": upload, "options": json.dumps({"function": greet.pk})},
        HTTP_AUTHORIZATION=f"Bearer {member_key}")  # fmt: skip

    assert (response.status_code, response.json()["code"]) == (413, "request_too_large")
    assert not TableRun.objects.exists()
