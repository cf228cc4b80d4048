"""Who may start a load run: members an admin allowed (audited), checked when it starts and
at each approval; on a production instance an admin confirms, a member's request waits."""

import pytest
from django.urls import reverse

from codeengine_ui.access.models import AuditAction, AuditEvent
from codeengine_ui.access.roles import allow_load_runs, may_start_load_runs
from codeengine_ui.catalog.models import Instance
from codeengine_ui.load_runs import services
from codeengine_ui.load_runs.models import LoadRun, LoadRunStatus
from codeengine_ui.load_runs.tasks import drive
from tests.load_runs.conftest import plan

pytestmark = pytest.mark.django_db


def _form(token, **changes) -> dict:
    return {
        "token": token.pk,
        "inputs": '{"name": "Ada"}',
        "users": "3",
        "mode": "count",
        "total_calls": "6",
        "ramp_up": "0s",
        "p95_below_ms": "2000",
        "errors_below_percent": "1",
        **changes,
    }


def test_a_member_without_the_permission_is_refused(client, member, greet, developer_token):
    client.force_login(member)

    page = client.get(reverse("load_runs:function_load_runs", args=[greet.pk]))
    refused = client.post(
        reverse("load_runs:function_load_runs", args=[greet.pk]), _form(developer_token)
    )

    assert "needs the “load” permission" in page.content.decode()
    assert refused.status_code == 403 and not LoadRun.objects.exists()
    with pytest.raises(services.LoadRunRefused, match="may not start load runs"):
        services.start_load_run(plan(greet, developer_token), member)


def test_an_admin_gives_the_permission_on_the_team_page_audited(admin_client, member):
    admin_client.post(reverse("access:set_load_runs", args=[member.pk]), {"allowed": "1"})

    assert may_start_load_runs(member)
    event = AuditEvent.objects.filter(action=AuditAction.PERMISSIONS_CHANGED).latest("id")
    assert event.target == "user member" and event.details["added"] == ["access.start_load_runs"]
    team = admin_client.get(reverse("access:team")).content.decode()
    assert "Take back load runs from member" in team


def test_a_member_starts_one_from_the_page_and_sees_its_verdict(
    client, load_member, greet, developer_token
):
    client.force_login(load_member)

    answer = client.post(
        reverse("load_runs:function_load_runs", args=[greet.pk]), _form(developer_token)
    )

    load_run = LoadRun.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/load-runs/{load_run.pk}/"
    assert load_run.status == LoadRunStatus.QUEUED and load_run.started_by == load_member
    drive(load_run.pk, "test-worker")
    page = client.get(answer["Location"]).content.decode()
    assert "Finished: Pass" in page and "<svg" in page and "p95 latency below 2,000 ms" in page


def test_the_permission_is_checked_again_when_the_load_run_starts(
    load_member, greet, developer_token
):
    load_run = services.start_load_run(plan(greet, developer_token), load_member)
    allow_load_runs(load_member, False)

    drive(load_run.pk, "test-worker")

    load_run.refresh_from_db()
    assert load_run.status == LoadRunStatus.ERROR
    assert "may not start load runs" in load_run.status_message


def test_bad_settings_are_refused_at_their_field(client, load_member, greet, developer_token):
    client.force_login(load_member)
    url = reverse("load_runs:function_load_runs", args=[greet.pk])

    too_many = client.post(url, _form(developer_token, users="100000"))
    bad_inputs = client.post(url, _form(developer_token, inputs='{"name": 3}'))
    bad_span = client.post(url, _form(developer_token, mode="duration", duration="soon"))
    huge_p95 = client.post(url, _form(developer_token, p95_below_ms="99999999999999999999"))

    assert too_many.status_code == 400 and "less than or equal to 200" in too_many.content.decode()
    assert "name:" in bad_inputs.content.decode()
    assert "whole seconds or minutes" in bad_span.content.decode()
    assert huge_p95.status_code == 400 and "600000" in huge_p95.content.decode().replace(",", "")
    assert not LoadRun.objects.exists()


@pytest.fixture
def production(greet):
    Instance.objects.filter(pk=greet.instance_id).update(is_production=True)
    greet.instance.refresh_from_db()
    return greet


def test_a_members_load_run_on_production_waits_for_an_admin(
    production, developer_token, load_member, admin_user
):
    load_run = services.start_load_run(plan(production, developer_token), load_member)

    assert load_run.status == LoadRunStatus.AWAITING_APPROVAL
    assert drive(load_run.pk, "test-worker") == "not queued"
    services.approve(load_run, admin_user)

    load_run.refresh_from_db()
    assert load_run.status == LoadRunStatus.QUEUED and load_run.approved_by == admin_user
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert AuditAction.LOAD_RUN_REQUESTED in actions and AuditAction.LOAD_RUN_APPROVED in actions
    assert drive(load_run.pk, "test-worker") == LoadRunStatus.FINISHED


def test_approval_checks_the_members_permission_again(
    production, developer_token, load_member, admin_user
):
    load_run = services.start_load_run(plan(production, developer_token), load_member)
    allow_load_runs(load_member, False)

    with pytest.raises(services.LoadRunRefused, match="may not start load runs"):
        services.approve(load_run, admin_user)
    assert LoadRun.objects.get().status == LoadRunStatus.AWAITING_APPROVAL


def test_an_admin_must_confirm_production(admin_client, production, developer_token):
    url = reverse("load_runs:function_load_runs", args=[production.pk])

    unconfirmed = admin_client.post(url, _form(developer_token))
    confirmed = admin_client.post(url, _form(developer_token, confirm_production="on"))

    assert "is marked production: confirm" in unconfirmed.content.decode()
    load_run = LoadRun.objects.get()
    assert confirmed.status_code == 302 and load_run.status == LoadRunStatus.QUEUED
    assert AuditEvent.objects.filter(action=AuditAction.LOAD_RUN_CONFIRMED).exists()


def test_a_declined_request_never_runs(production, developer_token, load_member, admin_user):
    load_run = services.start_load_run(plan(production, developer_token), load_member)

    services.decline(load_run, admin_user)

    assert drive(load_run.pk, "test-worker") == "not queued"
    assert LoadRun.objects.get().status == LoadRunStatus.DECLINED


def test_admins_find_the_requests_waiting_for_them(
    admin_client, production, developer_token, load_member
):
    load_run = services.start_load_run(plan(production, developer_token), load_member)

    page = admin_client.get(reverse("load_runs:load_run_list")).content.decode()
    detail = admin_client.get(reverse("load_runs:load_run", args=[load_run.pk])).content.decode()

    assert "Waiting for an admin" in page and f"#{load_run.pk} Greet someone" in page
    assert "Approve and start" in detail and "Decline" in detail


def test_inputs_keep_their_digits_or_are_refused(client, load_member, instance, developer_token):
    from tests.conftest import save_demo_function

    sleeper = save_demo_function(instance, developer_token, "sleepFor")
    client.force_login(load_member)
    url = reverse("load_runs:function_load_runs", args=[sleeper.pk])

    lossy = client.post(url, _form(developer_token, inputs='{"seconds": 0.10000000000000000001}'))
    kept = client.post(url, _form(developer_token, inputs='{"seconds": 0.10}'))

    assert "more digits than a JSON number keeps" in lossy.content.decode()
    assert kept.status_code == 302
    assert LoadRun.objects.get().input_variables == {"seconds": 0.1}
