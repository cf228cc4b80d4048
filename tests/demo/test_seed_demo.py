"""The demo data fills every page: functions, tokens and a month of real past runs."""

from collections import Counter
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.core import serializers
from django.core.management import call_command
from django.utils import timezone

from codeengine_ui.access.models import AuditAction, AuditEvent
from codeengine_ui.catalog.models import AccessToken, Function, InputPreset, Instance
from codeengine_ui.demo.emulator import DEMO_PEOPLE
from codeengine_ui.demo.history import CUSTOMERS
from codeengine_ui.runs.models import OUTCOME_OF_STATUS, Execution, Outcome
from codeengine_ui.suites.models import Case, Suite
from tests.conftest import ANALYST_TOKEN, DEVELOPER_TOKEN


@pytest.fixture
def demo_settings(settings, emulator):
    settings.CODEENGINE_EMULATOR_URL = emulator.url
    settings.CODEENGINE_EMULATOR_TOKEN = DEVELOPER_TOKEN
    settings.CODEENGINE_EMULATOR_LIMITED_TOKEN = ANALYST_TOKEN
    return settings


def test_the_demo_has_a_month_of_runs_of_every_outcome(db, demo_settings, monkeypatch):
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "demo-password-123")
    call_command("seed_demo", verbosity=0)

    runs = Execution.objects.all()
    assert runs.count() == 64
    assert AccessToken.objects.count() == 2 and Function.objects.count() == 16
    outcomes = Counter(
        OUTCOME_OF_STATUS[status] for status in runs.values_list("status", flat=True)
    )
    assert set(outcomes) == {Outcome.SUCCESS, Outcome.DOMO_FAILURE, Outcome.CALL_ERROR}
    assert outcomes[Outcome.SUCCESS] > outcomes[Outcome.DOMO_FAILURE] + outcomes[Outcome.CALL_ERROR]
    now = timezone.now()
    assert all(now - timedelta(days=31) < run.queued_at <= now for run in runs)
    assert runs.filter(queued_at__gte=now - timedelta(days=1)).exists()
    assert len(set(runs.values_list("requested_by", flat=True))) == 3
    greeting = runs.filter(function_name="greet", status="SUCCESS").first()
    assert greeting.result.startswith("Hello, ") and greeting.stdout_log  # the real function ran
    assert greeting.duration == greeting.finished_at - greeting.queued_at
    timed_out = runs.filter(status="error").first()
    assert timed_out.error_code == "timeout" and "No complete answer" in timed_out.error_message

    assert InputPreset.objects.count() == 3
    assert Function.objects.get(function_name="greet", version="1.1.0").key_inputs == ["name"]

    call_command("seed_demo", verbosity=0)
    assert Execution.objects.count() == 64  # the history is added only once
    assert InputPreset.objects.count() == 3


def test_the_demo_history_can_be_left_out(db, demo_settings, monkeypatch):
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "demo-password-123")
    call_command("seed_demo", "--no-history", verbosity=0)

    assert not Execution.objects.exists()


def test_the_demo_history_names_only_people_the_demo_directory_has():
    people = {str(person["id"]) for person in DEMO_PEOPLE}

    assert set(CUSTOMERS) <= people


def _stored_demo() -> str:
    """Everything the demo seeds, as stored: secrets, timestamps, grants and all."""
    models = [User, Group, Instance, AccessToken, Function, InputPreset, Case, Suite]
    return "\n".join(
        serializers.serialize("json", model.objects.order_by("pk")) for model in models
    )


def test_seeding_again_changes_nothing_and_records_nothing(db, demo_settings, monkeypatch):
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "demo-password-123")
    call_command("seed_demo", verbosity=0)
    audited = AuditEvent.objects.count()
    stored = _stored_demo()

    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", "--no-history", verbosity=0)

    assert AuditEvent.objects.count() == audited
    assert not AuditEvent.objects.filter(action=AuditAction.TOKEN_ROTATED).exists()
    assert _stored_demo() == stored


def test_seeding_puts_back_a_demo_token_that_was_changed(db, demo_settings, monkeypatch):
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "demo-password-123")
    call_command("seed_demo", "--no-history", verbosity=0)
    token = AccessToken.objects.get(label="Demo developer")
    token.set_token("another-secret-0000000000000000")
    token.shared_with_members = False
    token.save()

    call_command("seed_demo", "--no-history", verbosity=0)

    token.refresh_from_db()
    assert token.holds(DEVELOPER_TOKEN) and token.shared_with_members
    rotations = AuditEvent.objects.filter(
        action=AuditAction.TOKEN_ROTATED, target__contains="Demo developer"
    )
    assert rotations.count() == 2, "the change and the seed putting the demo secret back"
