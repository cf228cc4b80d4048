"""The execution page: result viewer, logs, explanations, actions and snippets."""

import json
import re

import pytest

from codeengine_ui.catalog.models import Function, InputPreset
from codeengine_ui.demo.package import PRIVATE_PACKAGE_ID
from codeengine_ui.runs.models import Execution, ExecutionStatus
from tests.conftest import DEVELOPER_TOKEN, make_token, save_demo_function, stored_run
from tests.html_forms import submitted_fields

from .conftest import execution_id_from, posted_by_python_snippet, run_form_data


def _failed_with_misfits(add, token, user, **fields) -> Execution:
    """A FAILED run of addNumbers whose `a` is text."""
    inputs = {"a": "two", "b": 1}
    return stored_run(add, token, user, inputs, status=ExecutionStatus.FAILED, **fields)


def _run(client, function, token, inputs, **options) -> Execution:
    response = client.post(
        f"/functions/{function.pk}/run/", run_form_data(function, token, inputs, **options)
    )
    return Execution.objects.get(pk=execution_id_from(response))


def test_object_result_is_a_highlighted_tree(member_client, instance, developer_token):
    order = save_demo_function(instance, developer_token, "summariseOrder")
    form = submitted_fields(member_client.get(f"/functions/{order.pk}/run/").content.decode())
    response = member_client.post(f"/functions/{order.pk}/run/", form)
    execution = Execution.objects.get(pk=execution_id_from(response))

    html = member_client.get(f"/executions/{execution.pk}/").content.decode()

    assert '<div class="code json-tree" id="result-json"><details class="j-node" open>' in html
    assert '<span class="j-key">&quot;orderId&quot;</span>: <span class="j-string">' in html
    assert '<span class="j-number">0</span>' in html


def test_large_result_is_text_and_a_huge_one_is_cut_but_downloadable(
    member_client, instance, developer_token, monkeypatch
):
    large = save_demo_function(instance, developer_token, "largeResult")
    execution = _run(member_client, large, developer_token, {"rows": "5000"})

    html = member_client.get(f"/executions/{execution.pk}/").content.decode()
    assert "json-tree" not in html and "Row number 4999" in html

    monkeypatch.setattr("codeengine_ui.runs.views.RESULT_SHOWN_LIMIT", 1000)
    html = member_client.get(f"/executions/{execution.pk}/").content.decode()
    download = member_client.get(f"/executions/{execution.pk}/result.json")

    assert "the first 1 MB is shown" in html and "Row number 4999" not in html
    assert download["Content-Disposition"].startswith("attachment")
    assert len(json.loads(download.content)) == 5000


def test_scalar_result_is_shown_plainly(member_client, greet, developer_token):
    execution = _run(member_client, greet, developer_token, {"name": "Ada"})

    html = member_client.get(f"/executions/{execution.pk}/").content.decode()

    assert '<pre class="code scalar" id="result-json">&quot;Hello, Ada.&quot;</pre>' in html


def test_logs_are_numbered_searchable_and_available_as_text(
    member_client, greet, developer_token, monkeypatch
):
    execution = _run(member_client, greet, developer_token, {"name": "Ada"})
    monkeypatch.setattr("codeengine_ui.runs.views.LOG_LINES_SHOWN", 1)

    html = member_client.get(f"/executions/{execution.pk}/").content.decode()
    text = member_client.get(f"/executions/{execution.pk}/stdout.txt").content.decode()

    assert "data-log-filter" in html
    assert '<span class="line-number">1</span><code>Greeting Ada</code>' in html
    assert "2 lines: the first 1 are shown" in html
    assert text == 'Greeting Ada\n{"event": "greeted", "name": "Ada"}'


def test_result_type_failure_is_explained_for_the_output(member_client, instance, developer_token):
    wrong = save_demo_function(instance, developer_token, "wrongResultType")
    execution = _run(member_client, wrong, developer_token, {})

    html = member_client.get(f"/executions/{execution.pk}/").content.decode()

    assert (
        "<strong>Output answer:</strong> The function returned text where the "
        "definition declares number."
    ) in html
    assert "Null allowed</dt><dd>no" in html


def test_failed_run_names_the_inputs_that_do_not_fit(
    member_client, instance, developer_token, member
):
    add = save_demo_function(instance, developer_token, "addNumbers")
    errors = {"errorMessages": ["b overflowed"]}
    execution = _failed_with_misfits(add, developer_token, member, error_information=errors)

    html = member_client.get(f"/executions/{execution.pk}/").content.decode()

    assert (
        "<strong>Input a:</strong> expected a whole number (e.g. 42), got text &quot;two&quot;"
        in html
    )
    assert "<strong>Input b:</strong> named in the error message" in html
    assert f"/functions/{add.pk}/run/?from={execution.pk}" in html


def test_the_consoles_own_words_do_not_name_an_input(
    member_client, instance, developer_token, member
):
    sleep = save_demo_function(instance, developer_token, "sleepFor")
    execution = stored_run(
        sleep,
        developer_token,
        member,
        {"seconds": 400},
        status=ExecutionStatus.ERROR,
        error_code="timeout",
        error_message="No complete answer from Code Engine within 330 seconds.",
    )

    html = member_client.get(f"/executions/{execution.pk}/").content.decode()

    assert "No complete answer from Code Engine within 330 seconds." in html
    assert "named in the error message" not in html


def test_our_own_errors_say_what_to_do_next(member_client, greet, instance):
    stale = make_token(instance, "Stale", "stale-token-00000000000000000")
    execution = _run(member_client, greet, stale, {"name": "Ada"})

    html = member_client.get(f"/executions/{execution.pk}/").content.decode()

    assert "<strong>Token refused:</strong> The access token was refused (HTTP 401)" in html
    assert "<strong>What to do next:</strong> Ask an admin to check or replace the token" in html
    assert html.count("Ask an admin") == 1  # said once, not in the message too


def test_run_again_repeats_inputs_version_and_token_once(member_client, greet, developer_token):
    first = _run(
        member_client, greet, developer_token, {"name": "Ada", "excited": "true"}, get_logs=False
    )
    Function.objects.filter(pk=greet.pk).update(version="1.0.0")
    page = member_client.get(f"/executions/{first.pk}/").content.decode()
    key = submitted_fields(page)["submission_id"]

    again = member_client.post(f"/executions/{first.pk}/run-again/", {"submission_id": key})
    twice = member_client.post(f"/executions/{first.pk}/run-again/", {"submission_id": key})

    rerun = Execution.objects.get(pk=execution_id_from(again))
    assert again["Location"] == twice["Location"]
    assert (rerun.input_variables, rerun.version, rerun.token, rerun.get_logs) == (
        {"name": "Ada", "excited": True},
        "1.1.0",
        developer_token,
        False,
    )
    assert rerun.status == ExecutionStatus.SUCCESS and rerun.result == "Hello, Ada!"


def test_run_again_of_a_deleted_function_is_explained(member_client, greet, developer_token):
    execution = _run(member_client, greet, developer_token, {"name": "Ada"})
    greet.delete()

    response = member_client.post(f"/executions/{execution.pk}/run-again/", follow=True)

    assert "was deleted: it cannot run again" in response.content.decode()
    assert Execution.objects.count() == 1


def test_edit_and_run_opens_the_form_filled_with_the_run(member_client, greet, developer_token):
    execution = _run(member_client, greet, developer_token, {"name": "Grace"}, get_logs=False)

    html = member_client.get(f"/functions/{greet.pk}/run/?from={execution.pk}").content.decode()

    assert ">\nGrace</textarea>" in html
    assert "Filled with the inputs of run" in html
    [get_logs] = re.findall(r'<input type="checkbox" name="get_logs"[^>]*>', html)
    assert "checked" not in get_logs, "getLogs comes from the run too"


def test_snippets_use_a_placeholder_never_the_token(
    member_client, greet, developer_token, monkeypatch
):
    execution = _run(member_client, greet, developer_token, {"name": "Ada"})

    html = member_client.get(f"/executions/{execution.pk}/").content.decode()
    page = member_client.get(f"/executions/{execution.pk}/")
    curl, httpx_code = page.context["curl"], page.context["httpx"]

    assert DEVELOPER_TOKEN not in html
    assert "X-DOMO-Developer-Token: $DOMO_DEVELOPER_TOKEN" in curl
    assert "/versions/1.1.0/functions/greet' " in curl
    body = {"inputVariables": {"name": "Ada", "excited": None}, "settings": {"getLogs": True}}
    assert json.loads(curl.split("<<'JSON'\n")[1].removesuffix("\nJSON")) == body
    posted = posted_by_python_snippet(httpx_code, monkeypatch)
    assert posted["json"] == body
    assert posted["headers"] == {"X-DOMO-Developer-Token": "token-from-the-environment"}
    assert posted["url"].endswith("/versions/1.1.0/functions/greet")


def test_inputs_of_a_run_can_become_a_preset(member_client, member, greet, developer_token):
    execution = _run(member_client, greet, developer_token, {"name": "Ada"})

    response = member_client.post(
        f"/executions/{execution.pk}/preset/", {"preset_name": "Ada, calm"}
    )
    again = member_client.post(
        f"/executions/{execution.pk}/preset/", {"preset_name": "Ada, calm"}, follow=True
    )

    preset = InputPreset.objects.get()
    assert response["Location"] == f"/functions/{greet.pk}/run/?preset={preset.pk}"
    assert (preset.name, preset.input_variables, preset.created_by) == (
        "Ada, calm",
        {"name": "Ada", "excited": None},
        member,
    )
    assert "already exists" in again.content.decode()


def test_share_link_opens_the_filled_form_without_secrets(member_client, greet, developer_token):
    execution = _run(member_client, greet, developer_token, {"name": "Ada"})

    html = member_client.get(f"/executions/{execution.pk}/").content.decode()

    assert f'value="http://testserver/functions/{greet.pk}/run/?from={execution.pk}"' in html


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_log_downloads_need_login(client, greet, developer_token, member, stream):
    execution = stored_run(greet, developer_token, member)

    assert client.get(f"/executions/{execution.pk}/{stream}.txt").status_code == 302


def test_edit_and_run_shows_the_misfits_of_a_failed_run_at_their_fields(
    member_client, instance, developer_token, member
):
    add = save_demo_function(instance, developer_token, "addNumbers")
    execution = _failed_with_misfits(add, developer_token, member)

    html = member_client.get(f"/functions/{add.pk}/run/?from={execution.pk}").content.decode()

    assert "Expected a whole number (e.g. 42), got text &quot;two&quot;." in html
    assert 'name="in.1" value="1"' in html


def test_run_again_with_inputs_that_no_longer_fit_opens_the_form_instead(
    member_client, member, greet, developer_token, emulator
):
    execution = stored_run(greet, developer_token, member, {"name": 42}, status="FAILED")
    runs_before = emulator.server.emulator.runs_received

    response = member_client.post(f"/executions/{execution.pk}/run-again/", follow=True)

    html = response.content.decode()
    assert response.redirect_chain[-1][0] == f"/functions/{greet.pk}/run/?from={execution.pk}"
    assert "These inputs no longer fit the function&#x27;s definition" in html
    assert "Expected text, got 42." in html
    assert Execution.objects.count() == 1
    assert emulator.server.emulator.runs_received == runs_before


@pytest.mark.parametrize(
    ("message", "named"),
    [
        (
            "Code Engine refused the request (HTTP 400); check the instance name. "
            'Domo said: "bad".',
            False,
        ),
        ('Code Engine refused the request (HTTP 400). Domo said: "name is required".', True),
    ],
)
def test_only_domo_s_own_words_can_name_an_input(
    member_client, greet, developer_token, member, message, named
):
    execution = stored_run(
        greet,
        developer_token,
        member,
        {"name": "Ada"},
        status=ExecutionStatus.ERROR,
        error_code="request_refused",
        error_message=message,
    )

    html = member_client.get(f"/executions/{execution.pk}/").content.decode()

    assert ("<strong>Input name:</strong> named in the error message" in html) is named


def test_the_logs_of_a_run_refused_by_code_engine_say_it_did_not_run(
    member_client, greet, instance
):
    stale = make_token(instance, "Stale", "stale-token-00000000000000000")
    execution = _run(member_client, greet, stale, {"name": "Ada"})

    html = member_client.get(f"/executions/{execution.pk}/").content.decode()

    assert execution.error_code == "bad_token"
    assert "The function did not run, so there is no stdout." in html
    assert "The function did not run, so there is no stderr." in html
    assert "wrote nothing" not in html


def test_the_logs_of_a_call_that_ended_without_an_answer_say_nothing_came_back(
    member_client, greet, developer_token, member
):
    execution = stored_run(
        greet,
        developer_token,
        member,
        {"name": "Ada"},
        status=ExecutionStatus.ERROR,
        error_code="timeout",
        error_message="No complete answer from Code Engine within 330 seconds.",
    )

    html = member_client.get(f"/executions/{execution.pk}/").content.decode()

    assert "No stderr came back: the call ended without Code Engine's answer." in html


def test_a_run_code_engine_refused_says_access_denied_once(member_client, instance, analyst_token):
    private = save_demo_function(
        instance, analyst_token, "greet", version="2.0.0", package_id=PRIVATE_PACKAGE_ID
    )
    execution = _run(member_client, private, analyst_token, {"name": "Ada"})

    html = member_client.get(f"/executions/{execution.pk}/").content.decode()

    assert execution.error_code == "permission_denied"
    assert "Access denied (HTTP 403): the token&#x27;s owner has no EXECUTE permission" in html
    assert html.lower().count("access denied") == 1
    assert "Domo said: &quot;Forbidden&quot;" in html  # the emulator's words add something
