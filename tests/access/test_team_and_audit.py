"""Roles are changed by admins, recorded, and the audit log shows what happened."""

import pytest
from django.core.management import call_command

from codeengine_ui.access.models import AuditAction, AuditEvent
from codeengine_ui.access.roles import Role, role_of
from codeengine_ui.catalog.encryption import decrypt_token, encrypt_token
from codeengine_ui.catalog.models import AccessToken, Instance
from tests.conftest import user_with_role


@pytest.fixture
def team_admin(client, django_user_model):
    admin = user_with_role(django_user_model, "team-admin", "admin")
    client.force_login(admin)
    return admin


def test_an_admin_changes_a_role_and_it_is_recorded(client, team_admin, member):
    response = client.post(f"/team/{member.pk}/role/", {f"user{member.pk}-role": "3"})

    member = type(member).objects.get(pk=member.pk)
    assert response["Location"] == "/team/"
    assert role_of(member) == Role.ADMIN and member.is_staff
    changes = AuditEvent.objects.filter(action=AuditAction.ROLE_CHANGED, actor=team_admin).order_by(
        "id"
    )
    assert [e.details for e in changes] == [{"removed": ["member"]}, {"added": ["admin"]}]
    assert {e.actor for e in changes} == {team_admin}


def test_nobody_changes_their_own_role(client, team_admin):
    response = client.post(
        f"/team/{team_admin.pk}/role/", {f"user{team_admin.pk}-role": "1"}, follow=True
    )

    assert "You cannot change your own role" in response.content.decode()
    assert role_of(team_admin) == Role.ADMIN


def test_instance_changes_in_the_django_admin_are_recorded(admin_client, admin_user):
    admin_client.post(
        "/admin/catalog/instance/add/",
        {"name": "acme", "display_name": "Acme", "custom_base_url": ""},
    )

    event = AuditEvent.objects.get(action=AuditAction.INSTANCE_CREATED)
    assert event.target == "Acme (https://acme.domo.com)" and event.actor == admin_user
    assert event.ip_address == "127.0.0.1"


def test_failed_logins_are_recorded_and_then_locked_out(client, member):
    for _ in range(5):
        client.post("/accounts/login/", {"username": "member", "password": "wrong"})

    locked = client.post("/accounts/login/", {"username": "member", "password": "member-password"})

    assert "Too many failed logins" in locked.content.decode()
    [burst] = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED)
    assert burst.repeated >= 5 and burst.details["usernames"] == ["member"]
    assert "_auth_user_id" not in client.session


def test_audit_log_is_shown_to_admins_and_filtered(client, team_admin):
    Instance.objects.create(name="acme", display_name="Acme")
    client.post("/accounts/login/", {"username": "x", "password": "y"})

    everything = client.get("/audit/").content.decode()
    only_logins = client.get("/audit/?action=login_failed").content.decode()

    assert "Instance created" in everything and "Login failed" in everything
    assert "Instance created" not in only_logins.split("<tbody>")[1]


def test_audit_events_cannot_be_changed_from_the_admin(admin_client):
    event = AuditEvent.objects.create(action=AuditAction.LOGIN_FAILED, target="x")

    assert admin_client.get(f"/admin/access/auditevent/{event.pk}/delete/").status_code == 403
    assert (
        admin_client.post(
            f"/admin/access/auditevent/{event.pk}/change/", {"target": "changed"}
        ).status_code
        == 403
    )


def test_key_rotation_reencrypts_every_token_under_the_newest_key(
    settings, developer_token, capsys
):
    from cryptography.fernet import Fernet

    old_key = settings.TOKEN_ENCRYPTION_KEYS[0]
    settings.TOKEN_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old_key]
    lost = AccessToken.objects.create(
        instance=developer_token.instance,
        label="Lost",
        encrypted_value="not-decryptable",
        last_four="1234",
    )

    with pytest.raises(SystemExit):
        call_command("rotate_token_encryption")

    settings.TOKEN_ENCRYPTION_KEYS = settings.TOKEN_ENCRYPTION_KEYS[:1]
    developer_token.refresh_from_db()
    assert decrypt_token(developer_token.encrypted_value).startswith("dev-token-")
    output = capsys.readouterr()
    assert "Re-encrypted 1 token under the newest key." in output.out
    assert "Lost on Emulator (••••1234) cannot be decrypted" in output.err
    assert AuditEvent.objects.get(action=AuditAction.TOKENS_REENCRYPTED).details == {
        "unreadable": ["Lost on Emulator (••••1234)"]
    }
    assert lost.encrypted_value == "not-decryptable"
    assert encrypt_token("x")
