"""Registering is open to anyone, so a client nobody took a token for is deleted a day after
it registered: at the next registration, or with `manage.py prune_ai_clients`."""

from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone
from oauth2_provider.models import Application

from codeengine_ui.agents.models import ClientRegistration
from tests.agents.conftest import connect, register


def _registered_days_ago(client_id: str, days: float) -> None:
    ClientRegistration.objects.filter(application__client_id=client_id).update(
        registered_at=timezone.now() - timedelta(days=days)
    )


def test_a_day_old_client_nobody_used_goes_at_the_next_registration(client, db):
    unused = register(client).json()["client_id"]
    recent = register(client).json()["client_id"]
    _registered_days_ago(unused, 1.1)

    register(client)

    assert not Application.objects.filter(client_id=unused).exists()
    assert Application.objects.filter(client_id=recent).exists()


def test_a_client_someone_connected_stays(member_client, assistant):
    connect(member_client, assistant)
    _registered_days_ago(assistant.client_id, 30)

    call_command("prune_ai_clients", stdout=StringIO())

    assert Application.objects.filter(client_id=assistant.client_id).exists()


def test_the_command_says_how_many_it_deleted(client, db, capsys):
    _registered_days_ago(register(client).json()["client_id"], 2)

    call_command("prune_ai_clients")

    assert "Deleted 1 AI client nobody connected." in capsys.readouterr().out
    assert not Application.objects.exists()


def test_clients_made_by_hand_are_never_pruned(db):
    made = Application.objects.create(
        name="Made in the admin",
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://example.com/cb",
    )
    Application.objects.filter(pk=made.pk).update(created=timezone.now() - timedelta(days=9))

    call_command("prune_ai_clients", stdout=StringIO())

    assert Application.objects.filter(pk=made.pk).exists()
