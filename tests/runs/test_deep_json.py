"""JSON nested as deep as the console accepts renders everywhere it is shown.

A run whose inputs or result nest hundreds of levels deep must not break its page for the
team: the tree, the snippets, the comparison, the exports, the download and the app-call
body all fold or flatten past a depth instead of recursing."""

import csv
import io
import json
import time

import pytest

from codeengine_ui.domo.client import CodeEngineClient
from codeengine_ui.domo.errors import UpstreamError
from codeengine_ui.json_text import FOLD_DEPTH, MAX_DEPTH, compact
from codeengine_ui.parameters.app_calls import app_call_body
from codeengine_ui.runs.comparison import json_differences
from codeengine_ui.runs.models import Execution, ExecutionStatus
from codeengine_ui.runs.tasks import call_code_engine
from codeengine_ui.runs.templatetags.execution_display import (
    compact_json,
    json_tree,
    pretty_json,
)
from tests.conftest import DEVELOPER_TOKEN, reply, save_demo_function, stored_run
from tests.html_forms import submitted_fields

from .conftest import execution_id_from, posted_by_python_snippet


def nested(depth: int) -> dict:
    """{"level": {"level": ... {"end": true}}}: `depth` objects inside one another."""
    value: dict = {"end": True}
    for _ in range(depth - 1):
        value = {"level": value}
    return value


@pytest.fixture
def describe(instance, developer_token):
    function = save_demo_function(instance, developer_token, "describeTypes")
    function.app_alias = "describeEverything"
    function.save()
    return function


@pytest.mark.parametrize("depth", [500, MAX_DEPTH - 1])
def test_every_view_of_a_deep_run_answers(
    member_client, member, describe, developer_token, monkeypatch, depth
):
    inputs = {"anything": nested(depth)}
    result = {"anything": {"value": nested(depth)}}
    run = stored_run(describe, developer_token, member, inputs, status="SUCCESS", result=result)
    other = stored_run(describe, developer_token, member, inputs, status="SUCCESS", result={})
    started = time.process_time()

    page = member_client.get(f"/executions/{run.pk}/")

    assert time.process_time() - started < 3.0
    html = page.content.decode()
    assert page.status_code == 200
    assert "nested past 32 levels: shown as text" in html
    assert "describeEverything" in html, "the app-call body is shown"
    curl = page.context["curl"]
    assert json.loads(curl.split("<<'JSON'\n")[1].removesuffix("\nJSON"))["inputVariables"] == (
        inputs
    )
    assert posted_by_python_snippet(page.context["httpx"], monkeypatch)["json"][
        "inputVariables"
    ] == (inputs)
    download = member_client.get(f"/executions/{run.pk}/result.json")
    assert json.loads(download.content) == result
    compare = member_client.get(f"/executions/compare/?a={run.pk}&b={other.pk}")
    assert compare.status_code == 200
    assert "anything" in compare.content.decode()
    lines = member_client.get("/executions/export.jsonl").getvalue().decode().splitlines()
    exported = {record["id"]: record for record in map(json.loads, lines)}
    assert exported[run.pk]["input_variables"] == inputs
    assert exported[run.pk]["result"] == result
    rows = csv.DictReader(
        io.StringIO(member_client.get("/executions/export.csv").getvalue().decode())
    )
    exported_rows = {int(row["id"]): row for row in rows}
    assert json.loads(exported_rows[run.pk]["input_variables"]) == inputs
    assert json.loads(exported_rows[run.pk]["result"]) == result
    form = member_client.get(f"/functions/{describe.pk}/run/?from={run.pk}")
    assert form.status_code == 200


def _form_with_anything(client, function, value: str):
    """The function's form as shown, with `value` typed into its `anything` JSON field."""
    data = submitted_fields(client.get(f"/functions/{function.pk}/run/").content.decode())
    names = [parameter["name"] for parameter in function.parameters]
    data[f"in.{names.index('anything')}"] = value
    return data


def test_a_deep_object_input_runs_and_its_page_shows(member_client, describe):
    data = _form_with_anything(member_client, describe, json.dumps(nested(500)))

    response = member_client.post(f"/functions/{describe.pk}/run/", data)

    execution = Execution.objects.get(pk=execution_id_from(response))
    assert execution.status == ExecutionStatus.SUCCESS
    assert execution.result["anything"]["value"] == nested(500)
    assert member_client.get(f"/executions/{execution.pk}/").status_code == 200


def test_json_deeper_than_the_console_keeps_is_refused_at_its_field(member_client, describe):
    data = _form_with_anything(member_client, describe, json.dumps(nested(MAX_DEPTH + 1)))

    response = member_client.post(f"/functions/{describe.pk}/run/", data)

    assert response.status_code == 200
    assert "This JSON is nested deeper than 1,000 levels." in response.content.decode()
    assert not Execution.objects.exists()


def test_a_reply_nested_deeper_than_the_console_keeps_is_a_clear_error(raw_server):
    body = json.dumps({"status": "SUCCESS", "result": nested(MAX_DEPTH + 1)}).encode()
    client = CodeEngineClient(raw_server(reply("200 OK", body)).url, DEVELOPER_TOKEN, timeout=5)

    with pytest.raises(UpstreamError) as raised:
        client.run_function("p", "1.0.0", "f", {})

    assert "nested deeper than 1,000 levels" in str(raised.value)


def test_a_result_with_half_characters_is_kept_with_replacement_characters(
    member_client, member, greet, developer_token, raw_server, settings
):
    body = b'{"status": "SUCCESS", "result": {"text\\ud800": ["a\\udfff", "\\ud83d\\ude00"]}}'
    server = raw_server(reply("200 OK", body))
    settings.CODEENGINE_ALLOWED_HOSTS = [server.url.removeprefix("http://")]
    greet.instance.custom_base_url = server.url
    greet.instance.save()
    execution = stored_run(greet, developer_token, member, {"name": "Ada"}, status="running")

    call_code_engine(execution)

    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.SUCCESS
    assert execution.result == {"text\ufffd": ["a\ufffd", "😀"]}
    assert member_client.get(f"/executions/{execution.pk}/").status_code == 200


def test_json_as_deep_as_pythons_parser_takes_renders_without_recursion():
    """Older runs (or another database) may hold JSON deeper than the console now accepts:
    every renderer still works, in bounded time, at the parser's own limit."""
    deepest = json.loads('{"level": ' * 5_000 + "true" + "}" * 5_000)
    started = time.process_time()

    tree = json_tree(deepest)
    text = pretty_json(deepest)
    line = compact_json(deepest)
    cell = compact(deepest)
    differences = json_differences(deepest, {"level": None})
    body = app_call_body(
        [{"name": "level", "alias": "depth", "children": [], "type": "object"}],
        {"level": deepest},
    )

    assert time.process_time() - started < 2.0
    assert json.loads(text) == deepest
    assert line == json.dumps(deepest)
    assert cell == json.dumps(deepest, separators=(",", ":"))
    assert len(text) < 100 * len(json.dumps(deepest)), "indentation stops growing past a depth"
    assert tree.count("<details") == FOLD_DEPTH
    assert [d.path for d in differences] == ["level"]
    assert body == {"depth": deepest}
