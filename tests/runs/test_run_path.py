"""Log in, open a function, run it, read the outcome: through the real views and emulator."""

import re
import uuid

from django.utils import timezone

from codeengine_ui.catalog.models import AccessToken, Instance
from codeengine_ui.runs.models import Execution, ExecutionStatus
from tests.conftest import make_token, save_demo_function

from .conftest import execution_id_from, run_form_data


def _run(client, function, token, inputs, **options):
    response = client.post(
        f"/functions/{function.pk}/run/", run_form_data(function, token, inputs, **options)
    )
    problems = re.findall(
        r'class="(?:field-error|form-error)"[^>]*>(.*?)<', response.content.decode()
    )
    assert response.status_code == 302, problems
    return Execution.objects.get(pk=execution_id_from(response))


def test_every_page_requires_login(client, greet):
    for url in ("/functions/", f"/functions/{greet.pk}/run/", "/executions/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_function_list_shows_starred_functions_first(
    member_client, member, instance, developer_token
):
    plain = save_demo_function(instance, developer_token, "addNumbers")
    starred = save_demo_function(instance, developer_token, "sleepFor")
    starred.starred_by.add(member)

    html = member_client.get("/functions/").content.decode()

    assert html.index(starred.display_name) < html.index(plain.display_name)


def test_star_toggles_with_htmx_and_without(member_client, member, greet):
    response = member_client.post(f"/functions/{greet.pk}/star/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert 'aria-pressed="true"' in response.content.decode()
    assert "<html" not in response.content.decode()
    assert greet.starred_by.filter(pk=member.pk).exists()

    response = member_client.post(f"/functions/{greet.pk}/star/")

    assert response.status_code == 302
    assert not greet.starred_by.filter(pk=member.pk).exists()


def test_function_page_renders_a_field_per_input_with_defaults(member_client, greet):
    html = member_client.get(f"/functions/{greet.pk}/run/").content.decode()

    assert 'name="in.0"' in html and '<label for="f-in-0">Name</label>' in html
    assert 'name="in.1" value="false" checked' in html
    assert 'name="get_logs"' in html and 'name="submission_id"' in html


def test_run_stores_the_exact_inputs_and_the_result(member_client, member, greet, developer_token):
    execution = _run(member_client, greet, developer_token, {"name": "Ada", "excited": "true"})

    assert execution.status == ExecutionStatus.SUCCESS
    assert execution.input_variables == {"name": "Ada", "excited": True}
    assert execution.result == "Hello, Ada!"
    assert execution.stdout_log[0] == "Greeting Ada"
    assert execution.http_status == 200 and execution.domo_execution_id
    assert execution.requested_by == member and execution.token_label == "Developer"
    assert execution.duration is not None and execution.finished_at >= execution.started_at
    developer_token.refresh_from_db()
    assert developer_token.last_used_at is not None and developer_token.last_used_by == member


def test_execution_page_shows_result_and_logs(member_client, greet, developer_token):
    execution = _run(member_client, greet, developer_token, {"name": "Ada"})

    html = member_client.get(f"/executions/{execution.pk}/").content.decode()

    assert "Success" in html
    assert "&quot;Hello, Ada.&quot;" in html
    assert "Greeting Ada" in html
    assert "{&quot;event&quot;: &quot;greeted&quot;, &quot;name&quot;: &quot;Ada&quot;}" in html
    assert "The function wrote nothing to stderr." in html
    assert "hx-trigger" not in html
    assert "<h2>Result</h2>" in html
    assert re.search(r"Domo startedOn</dt><dd>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC<", html)


def test_invalid_input_is_refused_at_the_field_and_nothing_runs(
    member_client, instance, developer_token
):
    add = save_demo_function(instance, developer_token, "addNumbers")

    response = member_client.post(
        f"/functions/{add.pk}/run/", run_form_data(add, developer_token, {"a": "two", "b": "1"})
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Expected a whole number (e.g. 42), got text &quot;two&quot;." in page
    assert not Execution.objects.exists()
    # The form holds what was typed, not the last inputs or a preset it started from.
    assert "Your inputs as typed: not run yet." in page and "Filled with" not in page


def test_double_submit_creates_one_run(member_client, greet, developer_token):
    data = run_form_data(greet, developer_token, {"name": "Ada"}, submission_id=uuid.uuid4())

    first = member_client.post(f"/functions/{greet.pk}/run/", data)
    second = member_client.post(f"/functions/{greet.pk}/run/", data)

    assert first["Location"] == second["Location"]
    assert Execution.objects.count() == 1


def test_a_post_without_a_submission_id_runs_once_per_post(member_client, greet, developer_token):
    data = run_form_data(greet, developer_token, {"name": "Ada"})
    del data["submission_id"]

    first = member_client.post(f"/functions/{greet.pk}/run/", data)
    second = member_client.post(f"/functions/{greet.pk}/run/", data)

    assert first.status_code == second.status_code == 302
    assert first["Location"] != second["Location"]


def test_a_malformed_submission_id_is_named_above_the_form(member_client, greet, developer_token):
    data = run_form_data(greet, developer_token, {"name": "Ada"})
    data["submission_id"] = "not-a-uuid"

    response = member_client.post(f"/functions/{greet.pk}/run/", data)

    assert response.status_code == 200
    assert "Enter a valid UUID." in response.content.decode()
    assert not Execution.objects.exists()


def test_failed_function_is_shown_as_a_failed_run(member_client, instance, developer_token):
    fail = save_demo_function(instance, developer_token, "failWithError")

    execution = _run(member_client, fail, developer_token, {"reason": "disk full"})
    response = member_client.get(f"/executions/{execution.pk}/")

    assert execution.status == ExecutionStatus.FAILED
    assert execution.error_information["errorMessages"] == ["RuntimeError: disk full"]
    assert response.status_code == 200
    html = response.content.decode()
    assert "The function threw an error or crashed" in html
    assert "RuntimeError: disk full" in html
    assert "Something went wrong" in html
    assert "<h2>Result</h2>" not in html


def test_result_type_failure_shows_expected_and_actual(member_client, instance, developer_token):
    wrong = save_demo_function(instance, developer_token, "wrongResultType")

    execution = _run(member_client, wrong, developer_token, {})
    html = member_client.get(f"/executions/{execution.pk}/").content.decode()

    assert execution.status == ExecutionStatus.RESULT_TYPE_FAILURE
    assert "Expected type</dt><dd>number" in html and "Actual type</dt><dd>text" in html


def test_bad_token_ends_in_an_error_run_with_advice(member_client, greet, instance):
    wrong = make_token(instance, "Expired", "expired-token-0000000000000000")

    execution = _run(member_client, greet, wrong, {"name": "Ada"})
    html = member_client.get(f"/executions/{execution.pk}/").content.decode()

    assert execution.status == ExecutionStatus.ERROR
    assert execution.http_status == 401 and execution.error_code == "bad_token"
    assert "Ask an admin to check or replace the token" in html


def test_token_without_execute_permission_is_refused(
    member_client, instance, developer_token, analyst_token
):
    private = save_demo_function(
        instance,
        developer_token,
        "greet",
        package_id="b7e2d9a4-1c3f-4e5a-8b6d-0f9e8d7c6b5a",
        version="2.0.0",
    )

    execution = _run(member_client, private, analyst_token, {"name": "Ada"})

    assert execution.status == ExecutionStatus.ERROR
    assert execution.http_status == 403
    assert "EXECUTE permission" in execution.error_message


def test_unreleased_version_is_explained(member_client, instance, developer_token):
    unreleased = save_demo_function(instance, developer_token, "greet", version="1.3.0")

    execution = _run(member_client, unreleased, developer_token, {"name": "Ada"})

    assert execution.error_code == "not_found"
    assert "only released versions run from outside Domo" in execution.error_message


def test_unreachable_instance_is_explained(member_client, greet, instance, settings):
    settings.CODEENGINE_ALLOWED_HOSTS = [*settings.CODEENGINE_ALLOWED_HOSTS, "127.0.0.1:9"]
    Instance.objects.filter(pk=instance.pk).update(custom_base_url="http://127.0.0.1:9")

    execution = _run(member_client, greet, greet.default_token, {"name": "Ada"})

    assert execution.error_code == "unreachable"
    assert "Could not connect to 127.0.0.1:9" in execution.error_message


def test_instance_whose_host_is_no_longer_allowed_is_not_called(
    member_client, greet, settings, emulator
):
    settings.CODEENGINE_ALLOWED_HOSTS = []
    runs_before = emulator.server.emulator.runs_received

    execution = _run(member_client, greet, greet.default_token, {"name": "Ada"})

    assert execution.error_code == "invalid_request"
    assert "CODEENGINE_ALLOWED_HOSTS" in execution.error_message
    assert emulator.server.emulator.runs_received == runs_before


def test_token_no_key_can_open_asks_to_reenter_it(member_client, greet, developer_token):
    AccessToken.objects.filter(pk=developer_token.pk).update(encrypted_value="garbage")

    execution = _run(member_client, greet, developer_token, {"name": "Ada"})

    assert execution.error_code == "token_unreadable"
    assert "must be re-entered" in execution.error_message


def test_disabled_token_cannot_be_chosen(member_client, greet, developer_token):
    AccessToken.objects.filter(pk=developer_token.pk).update(is_active=False)

    response = member_client.post(
        f"/functions/{greet.pk}/run/", run_form_data(greet, developer_token, {"name": "Ada"})
    )

    assert response.status_code == 403
    assert "not granted to you (or is disabled or expired)" in response.content.decode()
    assert not Execution.objects.exists()


def test_token_of_another_instance_cannot_be_forged_in(member_client, greet):
    other = Instance.objects.create(name="other", display_name="Other")
    foreign = make_token(other, "Foreign", "foreign-token-000000000000000")

    response = member_client.post(
        f"/functions/{greet.pk}/run/", run_form_data(greet, foreign, {"name": "Ada"})
    )

    assert response.status_code == 403
    assert not Execution.objects.exists()


def test_last_inputs_prefill_the_form(member_client, greet, developer_token):
    _run(member_client, greet, developer_token, {"name": "Grace"})

    html = member_client.get(f"/functions/{greet.pk}/run/").content.decode()

    assert ">\nGrace</textarea>" in html


def test_polling_returns_only_the_live_fragment(member_client, greet, member):
    queued = Execution.objects.create(
        function=greet,
        instance=greet.instance,
        instance_name="emulator",
        package_id=greet.package_id,
        version=greet.version,
        function_name="greet",
        token_label="Developer",
        requested_by=member,
        queued_at=timezone.now() - timezone.timedelta(seconds=12),
    )

    fragment = member_client.get(f"/executions/{queued.pk}/", HTTP_HX_REQUEST="true")
    page = member_client.get(f"/executions/{queued.pk}/")

    html = fragment.content.decode()
    assert html.lstrip().startswith('<section id="execution-live"')
    assert (
        f'hx-get="/executions/{queued.pk}/?seen=queued%3A1" hx-trigger="load, live-resume"' in html
    )
    assert re.search(
        r"Queued for <span data-elapsed>12\.\d s</span> of Code Engine's 5-minute", html
    )
    assert "<html" in page.content.decode() and "Refresh the page" in page.content.decode()


def test_history_lists_runs_newest_first_with_keyset_pages(
    member_client, greet, developer_token, monkeypatch
):
    monkeypatch.setattr("codeengine_ui.runs.history.PAGE_SIZE", 2)
    runs = [_run(member_client, greet, developer_token, {"name": f"n{i}"}) for i in range(3)]

    first = member_client.get("/executions/").content.decode()
    second = member_client.get(f"/executions/?before={runs[1].pk}").content.decode()

    assert first.index(f"#{runs[2].pk}<") < first.index(f"#{runs[1].pk}<")
    assert f"#{runs[0].pk}<" not in first and f"?before={runs[1].pk}" in first
    assert f"#{runs[0].pk}<" in second and f"#{runs[2].pk}<" not in second


def test_result_and_inputs_keep_their_key_order_and_types(member_client, instance, developer_token):
    describe = save_demo_function(instance, developer_token, "describeTypes")
    names = [parameter["name"] for parameter in describe.parameters]

    execution = _run(
        member_client,
        describe,
        developer_token,
        {
            "text": "42",
            "number": "1",
            "decimal": "0.1",
            "boolean": "on",
            "date": "2026-01-02",
            "dateTime": "2026-01-02T03:04:05",
            "dateTime.tz": "UTC",
            "time": "03:04:05",
            "duration": "PT1M",
            "person": "1",
            "group": "2",
            "dataset": "8c1b5e2a-6f3d-4a9b-b1c7-2d4e6f8a0b1c",
        },
    )
    stored = Execution.objects.get(pk=execution.pk)

    assert list(stored.input_variables) == names
    assert list(stored.result) == names
    assert stored.result["text"] == {"value": "42", "pythonType": "str"}
    assert stored.result["decimal"]["value"] == 0.1


def test_failing_htmx_request_gets_an_error_fragment(
    member_client, greet, developer_token, monkeypatch
):
    execution = _run(member_client, greet, developer_token, {"name": "Ada"})
    page_url = f"http://testserver/executions/{execution.pk}/"

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("codeengine_ui.runs.views.render", broken)

    response = member_client.get(
        f"/executions/{execution.pk}/", HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=page_url
    )

    html = response.content.decode()
    assert response.status_code == 200 and response["HX-Reswap"] == "outerHTML"
    assert "The console failed to load this part of the page." in html
    assert f'href="{page_url}"' in html and "<html" not in html


def test_htmx_request_for_something_deleted_says_so(member_client, greet):
    response = member_client.post(f"/functions/{greet.pk + 1000}/star/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "no longer exists" in response.content.decode()
