"""A monitor, or a suite run on each new release, acts as the person who last changed what
it runs, with that person's role and grants checked as it runs: a member who edits the
admin's monitor never gets the admin's token used for their inputs."""

import contextlib
from datetime import UTC, datetime

import pytest
from django.core import mail

from codeengine_ui.access.audit import acting_as
from codeengine_ui.access.models import AuditAction, AuditEvent
from codeengine_ui.access.roles import Role, give_role
from codeengine_ui.catalog.importing import check_newest_versions
from codeengine_ui.runs.models import Execution
from codeengine_ui.suites.judging import judge_finished_cases
from codeengine_ui.suites.models import Case, Suite, SuiteRun
from codeengine_ui.suites.monitors import run_due_monitors
from tests.conftest import DEVELOPER_TOKEN, make_token, save_demo_function

pytestmark = pytest.mark.django_db


@pytest.fixture
def admins_token(instance, admin_user):
    """A token granted to nobody: only admins may use it."""
    return make_token(instance, "Admin only", DEVELOPER_TOKEN, admin_user, shared=False)


@pytest.fixture
def admins_monitor(instance, admins_token, admin_user):
    """The admin's monitor, every 5 minutes, of a function whose token is the admin's."""
    with acting_as(admin_user):
        greet = save_demo_function(instance, admins_token, "greet", version="1.0.0")
        case = Case.objects.create(
            function=greet, name="greet excited", input_variables={"name": "Ada"},
            expectations=[{"kind": "outcome", "status": "SUCCESS"}], created_by=admin_user,
        )  # fmt: skip
        suite = Suite.objects.create(
            name="Release checklist", schedule="minutes", every_minutes=5,
            run_on_new_version=True, created_by=admin_user,
        )  # fmt: skip
        suite.cases.add(case)
    return suite


def _slot_comes(suite: Suite) -> SuiteRun:
    Suite.objects.filter(pk=suite.pk).update(next_run_at=datetime(2020, 1, 1, tzinfo=UTC))
    run_due_monitors()  # the tests' task backend runs each case as it is queued
    judge_finished_cases()
    return SuiteRun.objects.filter(suite=suite).latest("id")


def _member_edits_the_case(member_client, case: Case, capture_commits=None) -> None:
    """The member's edit of the case's inputs; inside the test's transaction, what waits
    for its commit is run (`capture_commits`), as a real commit would."""
    with capture_commits(execute=True) if capture_commits else contextlib.nullcontext():
        response = member_client.post(
            f"/tests/{case.pk}/",
            {"name": case.name, "inputs_json": '{"name": "Mallory"}',
             "expectations_json": '[{"kind": "outcome", "status": "SUCCESS"}]',
             "ignore_text": ""},
        )  # fmt: skip
    assert response.status_code == 302


def test_before_anyone_else_changes_it_the_monitor_acts_as_its_admin(
    admins_monitor, admin_user, admins_token
):
    suite_run = _slot_comes(admins_monitor)

    [execution] = Execution.objects.filter(batch_id=suite_run.uuid)
    assert execution.requested_by == admin_user and execution.token == admins_token
    assert suite_run.results.get().verdict == "pass"
    assert suite_run.authority.startswith("admin, who last changed ")


def test_a_members_edit_makes_the_monitor_act_as_the_member_with_the_members_grants(
    admins_monitor, member, member_client, admins_token, django_capture_on_commit_callbacks
):
    case = admins_monitor.cases.get()
    _member_edits_the_case(member_client, case, django_capture_on_commit_callbacks)

    suite_run = _slot_comes(admins_monitor)

    assert not Execution.objects.filter(batch_id=suite_run.uuid).exists()
    [result] = suite_run.results.all()
    assert result.verdict == "error"
    assert result.unmet[0]["message"] == (
        "The run could not start: no token of Emulator is granted to member."
    )
    assert suite_run.started_by == member
    assert suite_run.authority.startswith("member, who last changed the case “greet excited” on")
    with_admins_token = Execution.objects.filter(token=admins_token)
    assert "Mallory" not in [run.input_variables.get("name") for run in with_admins_token]


def test_a_member_with_a_token_of_their_own_runs_it_with_that_token_not_the_admins(
    admins_monitor, member, member_client, instance, admin_user, admins_token,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    members_token = make_token(instance, "Members", DEVELOPER_TOKEN, admin_user)
    _member_edits_the_case(
        member_client, admins_monitor.cases.get(), django_capture_on_commit_callbacks
    )

    suite_run = _slot_comes(admins_monitor)

    [execution] = Execution.objects.filter(batch_id=suite_run.uuid)
    assert execution.requested_by == member and execution.token == members_token
    assert execution.input_variables["name"] == "Mallory"


def test_a_run_on_a_new_release_takes_the_same_rule(
    admins_monitor, member, member_client, django_capture_on_commit_callbacks
):
    _member_edits_the_case(
        member_client, admins_monitor.cases.get(), django_capture_on_commit_callbacks
    )

    check_newest_versions()  # 1.2.0 is released: the suite runs on it by itself
    judge_finished_cases()

    suite_run = SuiteRun.objects.get(suite=admins_monitor, version="1.2.0")
    assert suite_run.started_by == member
    assert not Execution.objects.filter(batch_id=suite_run.uuid).exists()
    assert (
        "no token of Emulator is granted to member" in suite_run.results.get().unmet[0]["message"]
    )


def test_the_suite_page_says_whom_its_runs_act_as_and_why(
    admins_monitor, member_client, django_capture_on_commit_callbacks
):
    before = member_client.get(f"/suites/{admins_monitor.pk}/").content.decode()
    assert "act as <strong>admin</strong>, who last changed the suite&#x27;s cases on" in before

    _member_edits_the_case(
        member_client, admins_monitor.cases.get(), django_capture_on_commit_callbacks
    )
    after = member_client.get(f"/suites/{admins_monitor.pk}/").content.decode()

    assert "act as <strong>member</strong>, who last changed the case “greet excited” on" in after


def test_the_admin_is_told_and_the_change_is_audited(
    admins_monitor, admin_user, member_client, django_capture_on_commit_callbacks
):
    case = admins_monitor.cases.get()
    _member_edits_the_case(member_client, case, django_capture_on_commit_callbacks)

    [told] = mail.outbox
    assert told.to == [admin_user.email]
    assert told.subject == (
        "[Code Engine Console] member changed the case “greet excited” of your monitor "
        "“Release checklist”."
    )
    assert "now they act as member, who last changed the case" in told.body
    changed = AuditEvent.objects.get(action=AuditAction.CASE_CHANGED)
    assert changed.actor_name == "member"
    assert changed.details["inputs"] == [{"name": "Ada"}, {"name": "Mallory"}]
    handed = AuditEvent.objects.get(action=AuditAction.MONITOR_CHANGED)
    assert handed.details["acted_as"] == ["admin", "member"]


def test_an_acting_person_who_lost_the_member_role_is_refused_at_run_time(
    admins_monitor, member, member_client, instance, admin_user,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    make_token(instance, "Members", DEVELOPER_TOKEN, admin_user)
    _member_edits_the_case(
        member_client, admins_monitor.cases.get(), django_capture_on_commit_callbacks
    )
    give_role(member, Role.VIEWER)

    suite_run = _slot_comes(admins_monitor)

    [result] = suite_run.results.all()
    assert result.verdict == "error"
    assert "member does not have the member role" in result.unmet[0]["message"]
    assert not Execution.objects.filter(batch_id=suite_run.uuid, status="success").exists()


def test_a_change_nobody_can_answer_for_runs_nothing(admins_monitor, member):
    case = admins_monitor.cases.get()
    case.input_variables = {"name": "Changed in a shell"}
    case.save()  # outside any request, as nobody

    suite_run = _slot_comes(admins_monitor)

    assert suite_run.started_by is None
    assert not Execution.objects.filter(batch_id=suite_run.uuid).exists()
    assert "act as nobody and do not start" in suite_run.results.get().unmet[0]["message"]


def test_the_acting_persons_account_deleted_means_nobody_runs_it(
    admins_monitor, member, member_client, django_capture_on_commit_callbacks
):
    _member_edits_the_case(
        member_client, admins_monitor.cases.get(), django_capture_on_commit_callbacks
    )
    member.delete()

    suite_run = _slot_comes(admins_monitor)

    assert not Execution.objects.filter(batch_id=suite_run.uuid).exists()
    assert "act as nobody" in suite_run.results.get().unmet[0]["message"]


@pytest.mark.django_db(transaction=True)
def test_the_admin_is_told_when_the_edit_is_committed_as_it_is_made(
    admins_monitor, admin_user, member_client
):
    """Pages run without a transaction around them: each save commits on its own."""
    _member_edits_the_case(member_client, admins_monitor.cases.get())
    member_client.post(
        f"/suites/{admins_monitor.pk}/monitor/",
        {"monitor-schedule": "minutes", "monitor-every_minutes": "5", "monitor-time_zone": "UTC",
         "monitor-notify_emails": "", "monitor-webhook_url": ""},
    )  # fmt: skip

    [told] = mail.outbox
    assert told.to == [admin_user.email]
    assert told.subject.startswith("[Code Engine Console] member changed the case “greet excited”")
    monitor_changes = AuditEvent.objects.filter(action=AuditAction.MONITOR_CHANGED)
    [handed] = [event for event in monitor_changes if "acted_as" in event.details]
    assert handed.details["acted_as"] == ["admin", "member"]


def test_a_deactivated_acting_person_runs_nothing(
    admins_monitor, member, member_client, instance, admin_user,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    make_token(instance, "Members", DEVELOPER_TOKEN, admin_user)
    _member_edits_the_case(
        member_client, admins_monitor.cases.get(), django_capture_on_commit_callbacks
    )
    member.is_active = False
    member.save()

    suite_run = _slot_comes(admins_monitor)

    assert not Execution.objects.filter(batch_id=suite_run.uuid).exists()
    assert "member's account is deactivated" in suite_run.results.get().unmet[0]["message"]


def test_the_admin_running_the_suite_by_hand_runs_a_members_case_only_with_a_token_both_may_use(
    admins_monitor, member, member_client, instance, admin_user, admins_token,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    """The admin's CI key starts the suite after a member changed a case: the member's
    inputs run with a token the member may use too, never with the admin's own."""
    from codeengine_ui.suites.services import start_suite_run

    _member_edits_the_case(
        member_client, admins_monitor.cases.get(), django_capture_on_commit_callbacks
    )
    refused = start_suite_run(admins_monitor, admin_user)
    shared = make_token(instance, "Members", DEVELOPER_TOKEN, admin_user)
    allowed = start_suite_run(admins_monitor, admin_user)

    [result] = refused.results.all()
    assert result.verdict == "error"
    assert "member last changed this case or its function, and no token of Emulator is " \
        "granted to both member and admin" in result.unmet[0]["message"]  # fmt: skip
    [execution] = Execution.objects.filter(batch_id=allowed.uuid)
    assert execution.requested_by == admin_user and execution.token == shared
    assert not Execution.objects.filter(token=admins_token).exists()


def test_importing_the_same_definition_again_changes_nobody_the_monitor_acts_as(
    admins_monitor, instance, admins_token, member
):
    """Stored the same (PostgreSQL's jsonb keeps keys in its own order), nothing changed."""
    from codeengine_ui.suites.authority import acting_person

    with acting_as(member):
        save_demo_function(instance, admins_token, "greet", version="1.0.0")

    assert acting_person(admins_monitor).user.username == "admin"


def test_an_automatic_run_says_when_it_ran_and_whom_it_acted_as_apart(
    admins_monitor, member_client
):
    suite_run = _slot_comes(admins_monitor)

    page = member_client.get(f"/suite-runs/{suite_run.pk}/").content.decode()

    lead = page[page.index("Run on ") :].split("<a", 1)[0]
    day = f"{suite_run.started_at:%-d %b %Y}"
    assert f", {suite_run.started_at:%-d %b %Y, %H:%M:%S}. Started by its schedule" in lead
    assert f"acting as admin, who last changed the suite&#x27;s cases on {day}." in lead
    assert f"{day}, {day}" not in lead
