"""Every change to suites, cases, schedules, recipients, webhooks, presets and function
settings is in the audit log: who, what, and the values before and after."""

from datetime import timedelta

import pytest
from django.utils import timezone

from codeengine_ui.access.audit import acting_as
from codeengine_ui.access.models import AuditAction, AuditEvent
from codeengine_ui.catalog.models import InputPreset
from codeengine_ui.suites.models import Case, Suite
from tests.conftest import make_token, save_demo_function
from tests.html_forms import submitted_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def admins_monitor(greet, admin_user, settings):
    settings.MONITOR_WEBHOOK_HOSTS = ["hooks.slack.com"]
    with acting_as(admin_user):
        case = Case.objects.create(
            function=greet, name="greets Ada", input_variables={"name": "Ada"},
            expectations=[{"kind": "outcome"}],
        )  # fmt: skip
        suite = Suite.objects.create(
            name="Release checklist", schedule="hourly", notify_emails="admin@example.com"
        )
        suite.cases.add(case)
    return suite


def _events(action) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def test_a_member_turning_off_and_redirecting_the_admins_monitor_is_recorded(
    member_client, admins_monitor
):
    member_client.post(
        f"/suites/{admins_monitor.pk}/monitor/",
        {"monitor-schedule": "", "monitor-every_minutes": "60", "monitor-time_zone": "UTC",
         "monitor-notify_emails": "mallory@example.com",
         "monitor-webhook_url": "https://hooks.slack.com/services/T0/B0/secretpart1234"},
    )  # fmt: skip

    [event] = _events(AuditAction.MONITOR_CHANGED)
    assert event.actor_name == "member" and event.target == "suite Release checklist"
    assert event.details["schedule"] == ["Hourly", "Not scheduled"]
    assert event.details["notify_emails"] == ["admin@example.com", "mallory@example.com"]
    before, after = event.details["webhook_url"]
    assert before == "" and after.startswith("https://hooks.slack.com/…1234 (#")
    assert "secretpart" not in str(event.details), "a webhook address is its own secret"


def test_a_webhook_changed_for_another_with_the_same_ending_is_recorded(
    member_client, admins_monitor
):
    def monitor_with(webhook: str) -> None:
        member_client.post(
            f"/suites/{admins_monitor.pk}/monitor/",
            {"monitor-schedule": "hourly", "monitor-at_time": "00:00",
             "monitor-every_minutes": "60", "monitor-time_zone": "UTC",
             "monitor-notify_emails": "admin@example.com", "monitor-webhook_url": webhook},
        )  # fmt: skip

    monitor_with("https://hooks.slack.com/services/TEAM/OPS/realsecretAB12")
    monitor_with("https://hooks.slack.com/services/MALLORY/OWN/hookAB12")

    changes = [e.details["webhook_url"] for e in _events(AuditAction.MONITOR_CHANGED)]
    assert len(changes) == 2 and changes[1][0] != changes[1][1]


def test_saving_a_monitor_as_it_is_keeps_its_next_slot(member_client, admins_monitor):
    slot = timezone.now() + timedelta(minutes=3)
    Suite.objects.filter(pk=admins_monitor.pk).update(
        schedule="minutes", every_minutes=5, next_run_at=slot
    )
    for _ in range(3):  # saved again and again, it would never run
        member_client.post(
            f"/suites/{admins_monitor.pk}/monitor/",
            {"monitor-schedule": "minutes", "monitor-every_minutes": "5",
             "monitor-time_zone": "UTC", "monitor-notify_emails": "admin@example.com",
             "monitor-webhook_url": ""},
        )  # fmt: skip

    assert Suite.objects.get().next_run_at == slot


def test_deleting_a_case_and_changing_one_are_recorded_with_before_and_after(
    member_client, admins_monitor
):
    case = admins_monitor.cases.get()
    member_client.post(
        f"/tests/{case.pk}/",
        {"name": "greets Mallory", "inputs_json": '{"name": "Mallory"}',
         "expectations_json": '[{"kind": "outcome", "status": "FAILED"}]', "ignore_text": "id"},
    )  # fmt: skip
    member_client.post(f"/tests/{case.pk}/delete/")

    [changed] = _events(AuditAction.CASE_CHANGED)
    assert changed.actor_name == "member"
    assert changed.details["name"] == ["greets Ada", "greets Mallory"]
    assert changed.details["inputs"] == [{"name": "Ada"}, {"name": "Mallory"}]
    assert changed.details["expectations"][1] == [{"kind": "outcome", "status": "FAILED"}]
    assert changed.details["ignored_paths"] == [[], ["id"]]
    [deleted] = _events(AuditAction.CASE_DELETED)
    assert deleted.actor_name == "member" and deleted.target.startswith("case greets Mallory")


def test_a_suites_cases_added_and_removed_are_recorded(member_client, admins_monitor, greet):
    other = Case.objects.create(function=greet, name="greets Grace", input_variables={})
    member_client.post(
        "/suites/",
        {"name": "Smoke", "description": "", "cases": [str(other.pk)]},
    )

    [created] = [e for e in _events(AuditAction.SUITE_CREATED) if e.target == "suite Smoke"]
    assert created.actor_name == "member" and created.target == "suite Smoke"
    added = [e for e in _events(AuditAction.SUITE_CHANGED) if e.target == "suite Smoke"]
    assert added[0].details == {"cases_added": ["greets Grace of Greet someone"]}


def test_presets_are_recorded_when_saved_changed_and_deleted(member_client, greet):
    form = submitted_fields(member_client.get(f"/functions/{greet.pk}/run/").content.decode())
    form.update({"in.0": "Ada", "preset_name": "Ada", "save_preset": "1"})
    member_client.post(f"/functions/{greet.pk}/presets/", form)
    preset = InputPreset.objects.get()
    member_client.post(
        f"/presets/{preset.pk}/", {"name": "Grace", "inputs_json": '{"name": "Grace"}'}
    )
    member_client.post(f"/presets/{preset.pk}/delete/")

    [created] = _events(AuditAction.PRESET_CREATED)
    assert created.actor_name == "member" and created.details["name"] == "Ada"
    [changed] = _events(AuditAction.PRESET_CHANGED)
    assert changed.details["name"] == ["Ada", "Grace"]
    assert changed.details["inputs"][1]["name"] == "Grace"
    [deleted] = _events(AuditAction.PRESET_DELETED)
    assert deleted.actor_name == "member"


def test_function_settings_are_recorded_with_before_and_after(
    member_client, greet, instance, admin_user
):
    other = make_token(instance, "Analysts", "analyst-token-x", admin_user)
    member_client.post(
        f"/functions/{greet.pk}/edit/",
        {"display_name": "Greeter", "version": greet.version, "default_token": str(other.pk)},
    )

    [event] = _events(AuditAction.FUNCTION_CHANGED)
    assert event.actor_name == "member"
    assert event.details["display_name"] == ["Greet someone", "Greeter"]
    assert event.details["default_token"][1].startswith("Analysts on Emulator")


def test_a_function_saved_by_import_is_recorded(instance, developer_token, member):
    with acting_as(member):
        save_demo_function(instance, developer_token, "averageOf")

    [event] = _events(AuditAction.FUNCTION_CREATED)
    assert event.actor_name == "member"
    assert event.target == "function Average of numbers 1.1.0 on emulator"


def test_a_change_python_finds_equal_but_json_does_not_is_recorded_and_attributed(
    member_client, greet, admin_user
):
    average = save_demo_function(greet.instance, greet.default_token, "averageOf")
    with acting_as(admin_user):
        case = Case.objects.create(function=average, name="zeros",
                                   input_variables={"values": [0.0, 1.0]})  # fmt: skip

    member_client.post(
        f"/tests/{case.pk}/",
        {"name": "zeros", "inputs_json": '{"values": [-0.0, 1.0]}',
         "expectations_json": "[]", "ignore_text": ""},
    )  # fmt: skip

    case.refresh_from_db()
    assert case.changed_by.username == "member"
    [changed] = _events(AuditAction.CASE_CHANGED)
    assert changed.details["inputs"] == [{"values": [0.0, 1.0]}, {"values": [-0.0, 1.0]}]


def test_the_ignore_button_is_recorded_with_before_and_after(member_client, admins_monitor):
    case = admins_monitor.cases.get()

    member_client.post(f"/tests/{case.pk}/ignore/", {"path": "items[3].id"})

    [changed] = _events(AuditAction.CASE_CHANGED)
    assert changed.actor_name == "member"
    assert changed.details == {"ignored_paths": [[], ["items[*].id"]]}
