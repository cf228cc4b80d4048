"""start_run: the one way a run starts, whoever asks (a page, Run again, the demo, the API)."""

import uuid

import pytest

from codeengine_ui.catalog.models import Instance
from codeengine_ui.error_codes import ErrorCode
from codeengine_ui.runs.models import Execution, ExecutionStatus, RunSource
from codeengine_ui.runs.services import InputsDoNotFit, RunNotAllowed, start_run
from tests.conftest import DEVELOPER_TOKEN, make_token, save_demo_function

from .conftest import execution_id_from, run_form_data


def test_a_member_runs_a_function_and_the_run_says_where_it_came_from(
    greet, developer_token, member
):
    execution = start_run(greet, {"name": "Ada"}, developer_token, member, RunSource.FORM)

    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.SUCCESS
    assert execution.result == "Hello, Ada."
    assert (execution.source, execution.requested_by, execution.token) == (
        RunSource.FORM,
        member,
        developer_token,
    )


def test_a_viewer_may_not_start_a_run(greet, developer_token, viewer):
    with pytest.raises(RunNotAllowed) as refused:
        start_run(greet, {"name": "Ada"}, developer_token, viewer, RunSource.FORM)

    assert refused.value.code == ErrorCode.ROLE_REVOKED
    assert not Execution.objects.exists()


def test_a_disabled_token_is_refused_with_its_code(greet, developer_token, member):
    developer_token.is_active = False
    developer_token.save()

    with pytest.raises(RunNotAllowed) as refused:
        start_run(greet, {"name": "Ada"}, developer_token, member, RunSource.FORM)

    assert refused.value.code == ErrorCode.TOKEN_DISABLED
    assert '"Developer" is disabled' in str(refused.value)
    assert not Execution.objects.exists()


def test_a_token_not_granted_to_the_user_is_refused(greet, instance, member):
    private = make_token(instance, "Private", DEVELOPER_TOKEN + "-private", shared=False)

    with pytest.raises(RunNotAllowed) as refused:
        start_run(greet, {"name": "Ada"}, private, member, RunSource.FORM)

    assert refused.value.code == ErrorCode.TOKEN_NOT_GRANTED
    assert not Execution.objects.exists()


def test_a_token_of_another_instance_is_refused(greet, member, emulator):
    other = Instance.objects.create(name="other", custom_base_url=emulator.url)
    foreign = make_token(other, "Foreign", DEVELOPER_TOKEN)

    with pytest.raises(RunNotAllowed, match="another instance"):
        start_run(greet, {"name": "Ada"}, foreign, member, RunSource.FORM)
    assert not Execution.objects.exists()


def test_inputs_that_do_not_fit_the_definition_are_refused_with_each_problem(
    instance, developer_token, member
):
    add = save_demo_function(instance, developer_token, "addNumbers")

    with pytest.raises(InputsDoNotFit) as refused:
        start_run(add, {"a": "two", "c": 1}, developer_token, member, RunSource.FORM)

    paths = {path for path, _message in refused.value.problems}
    assert {"a", "b", "c"} <= paths
    assert not Execution.objects.exists()


def test_the_same_idempotency_key_gives_the_same_run(greet, developer_token, member):
    key = uuid.uuid4()

    first = start_run(
        greet, {"name": "Ada"}, developer_token, member, RunSource.FORM, idempotency_key=key
    )
    again = start_run(
        greet, {"name": "Ada"}, developer_token, member, RunSource.FORM, idempotency_key=key
    )

    assert first.pk == again.pk and Execution.objects.count() == 1


def test_a_run_may_ask_for_another_version_than_the_saved_one(instance, developer_token, member):
    greet = save_demo_function(instance, developer_token, "greet")
    older = "1.0.0"
    assert greet.version != older

    execution = start_run(
        greet, {"name": "Ada"}, developer_token, member, RunSource.RUN_AGAIN, version=older
    )

    execution.refresh_from_db()
    assert execution.version == older and execution.source == RunSource.RUN_AGAIN


def test_the_run_form_and_run_again_both_go_through_the_service(
    member_client, greet, developer_token
):
    response = member_client.post(
        f"/functions/{greet.pk}/run/", run_form_data(greet, developer_token, {"name": "Ada"})
    )
    first = Execution.objects.get(pk=execution_id_from(response))
    member_client.post(f"/executions/{first.pk}/run-again/")
    again = Execution.objects.exclude(pk=first.pk).get()

    assert (first.source, again.source) == (RunSource.FORM, RunSource.RUN_AGAIN)
