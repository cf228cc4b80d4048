"""What the task stores when the run cannot go ahead as queued, or Domo answers oddly."""

from django.contrib.auth.models import Group

from codeengine_ui.catalog.models import AccessToken
from codeengine_ui.domo.client import FunctionExecution
from codeengine_ui.runs.housekeeping import interrupt
from codeengine_ui.runs.models import Execution, ExecutionStatus
from codeengine_ui.runs.tasks import call_code_engine
from tests.conftest import stored_run


def _running(function, token, user) -> Execution:
    execution = stored_run(function, token, user, {"name": "Ada"})
    execution.mark_running("test-worker")
    return execution


def test_token_deleted_after_queueing_is_explained(greet, developer_token, member):
    execution = _running(greet, developer_token, member)
    developer_token.delete()
    execution.refresh_from_db()

    call_code_engine(execution)

    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.ERROR
    assert execution.error_code == "token_missing"
    assert execution.token_label == "Developer"


def test_token_disabled_after_queueing_is_explained(greet, developer_token, member, emulator):
    execution = _running(greet, developer_token, member)
    AccessToken.objects.filter(pk=developer_token.pk).update(is_active=False)
    execution.refresh_from_db()
    runs_before = emulator.server.emulator.runs_received

    call_code_engine(execution)

    execution.refresh_from_db()
    assert execution.error_code == "token_disabled"
    assert '"Developer" is disabled' in execution.error_message
    assert emulator.server.emulator.runs_received == runs_before


def test_unknown_domo_status_is_kept_as_undefined_with_a_note(greet, developer_token, member):
    execution = _running(greet, developer_token, member)

    execution.record_outcome(FunctionExecution(status="RUNNING", result={"partial": True}))

    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.UNDEFINED
    assert 'status "RUNNING"' in execution.error_message
    assert execution.result == {"partial": True}


def test_outcome_arriving_after_the_run_was_stopped_is_ignored(greet, developer_token, member):
    execution = _running(greet, developer_token, member)
    Execution.objects.get(pk=execution.pk).stop()

    stored = execution.record_outcome(FunctionExecution(status="SUCCESS", result="late"))

    execution.refresh_from_db()
    assert stored is False
    assert execution.status == ExecutionStatus.ABANDONED and execution.result is None


def test_the_live_owners_outcome_replaces_an_interrupted_verdict_and_says_so(
    greet, developer_token, member
):
    """Another worker judged the owner dead while the owner could not reach the database;
    the owner's answer from Code Engine wins, and the run's story tells both."""
    execution = _running(greet, developer_token, member)
    judged = Execution.objects.get(pk=execution.pk)
    interrupt([judged], "stopped", "Its worker stopped after sending the request.")

    stored = execution.record_outcome(FunctionExecution(status="SUCCESS", result="late"))

    execution.refresh_from_db()
    assert stored is True
    assert (execution.status, execution.result) == (ExecutionStatus.SUCCESS, "late")
    assert execution.error_code == "" and execution.error_message == ""
    story = [line["text"] for line in execution.story]
    assert story[0] == "Its worker stopped after sending the request."
    assert "Its worker was alive" in story[1]


def test_another_workers_outcome_does_not_replace_an_interrupted_verdict(
    greet, developer_token, member
):
    execution = _running(greet, developer_token, member)
    interrupt([Execution.objects.get(pk=execution.pk)], "stopped")
    execution.worker_id = "someone-else"

    assert execution.record_outcome(FunctionExecution(status="SUCCESS", result="x")) is False
    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.INTERRUPTED


def _refused(execution, emulator) -> Execution:
    runs_before = emulator.server.emulator.runs_received
    # Loaded as a worker loads the run it starts: with its token and requester as they are.
    execution = Execution.objects.select_related("token__instance", "requested_by").get(
        pk=execution.pk
    )
    call_code_engine(execution)
    execution.refresh_from_db()
    assert emulator.server.emulator.runs_received == runs_before, "Code Engine was not called"
    assert execution.status == ExecutionStatus.ERROR
    return execution


def test_a_grant_revoked_after_queueing_stops_the_run(
    member_client, greet, developer_token, member, emulator
):
    execution = _running(greet, developer_token, member)
    AccessToken.objects.filter(pk=developer_token.pk).update(shared_with_members=False)

    execution = _refused(execution, emulator)

    assert execution.error_code == "token_not_granted"
    assert '"Developer" is no longer granted to member' in execution.error_message
    page = member_client.get(f"/executions/{execution.pk}/").content.decode()
    assert "is no longer granted to member, so this run was not started" in page
    assert "Ask an admin to grant you the token again" in page


def test_a_role_taken_away_after_queueing_stops_the_run(greet, developer_token, member, emulator):
    execution = _running(greet, developer_token, member)
    member.groups.clear()

    execution = _refused(execution, emulator)

    assert execution.error_code == "role_revoked"
    assert "member no longer has the member role" in execution.error_message


def test_a_run_whose_requester_was_deleted_does_not_start(greet, developer_token, member, emulator):
    execution = _running(greet, developer_token, member)
    member.delete()
    execution.refresh_from_db()

    execution = _refused(execution, emulator)

    assert execution.error_code == "role_revoked"


def test_a_grant_through_a_group_still_runs(greet, developer_token, member, emulator):
    team = Group.objects.create(name="analytics")
    member.groups.add(team)
    AccessToken.objects.filter(pk=developer_token.pk).update(shared_with_members=False)
    developer_token.granted_groups.add(team)
    execution = _running(greet, developer_token, member)

    call_code_engine(execution)

    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.SUCCESS
