"""Admins manage tokens in the console; every change lands in the audit log."""

from datetime import timedelta

import pytest
from django.utils import timezone

from codeengine_ui.access.models import AuditAction, AuditEvent
from codeengine_ui.catalog.encryption import decrypt_token
from codeengine_ui.catalog.models import AccessToken, Instance
from codeengine_ui.runs.models import Execution
from tests.conftest import DEVELOPER_TOKEN, make_token, stored_run
from tests.html_forms import submitted_fields

SECRET = "fresh-token-9f8e7d6c5b4a39281706"


def _actions() -> list[str]:
    """The token events recorded for someone acting on a page (the fixtures' own creation of
    instances and tokens is recorded too, by nobody)."""
    events = AuditEvent.objects.filter(action__startswith="token_", actor__isnull=False)
    events = events.order_by("id")
    return list(events.values_list("action", flat=True))


def test_admin_adds_a_token_that_is_never_shown_again(admin_client, instance, member):
    response = admin_client.post(
        "/tokens/add/",
        {
            "instance": instance.pk,
            "label": "Ops",
            "secret": SECRET,
            "expires_on": "",
            "granted_users": [member.pk],
        },
    )

    token = AccessToken.objects.get(label="Ops")
    assert response["Location"] == f"/tokens/{token.pk}/"
    assert decrypt_token(token.encrypted_value) == SECRET
    assert list(token.granted_users.all()) == [member] and not token.shared_with_members
    for page in ("/tokens/", f"/tokens/{token.pk}/"):
        html = admin_client.get(page).content.decode()
        assert SECRET not in html and token.encrypted_value not in html
        assert "••••1706" in html
    event = AuditEvent.objects.get(action=AuditAction.TOKEN_CREATED)
    assert event.details["users"] == ["member"] and SECRET not in event.target


def test_a_refused_secret_is_not_echoed_back(admin_client, instance):
    response = admin_client.post(
        "/tokens/add/", {"instance": instance.pk, "label": "Short", "secret": "tooshort99"}
    )

    html = response.content.decode()
    assert "too short to be a Domo access token" in html and "tooshort99" not in html
    assert not AccessToken.objects.filter(label="Short").exists()


def test_rename_expiry_and_grants_are_recorded(admin_client, developer_token, member):
    form = submitted_fields(admin_client.get(f"/tokens/{developer_token.pk}/").content.decode())
    form.update({"label": "Renamed", "expires_on": "2030-01-01"})
    form.setlist("granted_users", [str(member.pk)])
    form.pop("shared_with_members", None)

    admin_client.post(f"/tokens/{developer_token.pk}/", form)

    developer_token.refresh_from_db()
    assert developer_token.label == "Renamed" and str(developer_token.expires_on) == "2030-01-01"
    assert _actions() == [
        AuditAction.TOKEN_RENAMED,
        AuditAction.TOKEN_EXPIRY_CHANGED,
        AuditAction.TOKEN_GRANTED,
    ]
    granted = AuditEvent.objects.get(action=AuditAction.TOKEN_GRANTED)
    assert granted.details == {
        "before": {"all_members": True, "users": [], "groups": []},
        "after": {"all_members": False, "users": ["member"], "groups": []},
    }


def test_a_grant_to_an_id_no_database_holds_is_refused_and_nothing_changes(
    admin_client, developer_token, member
):
    form = submitted_fields(admin_client.get(f"/tokens/{developer_token.pk}/").content.decode())
    form.setlist("granted_users", [str(member.pk), "9" * 25])
    form.setlist("granted_groups", ["1" + "0" * 20])

    response = admin_client.post(f"/tokens/{developer_token.pk}/", form)

    assert response.status_code == 200
    assert "“9999999999999999999999999” is not a valid value." in response.content.decode()
    assert not developer_token.granted_users.exists()
    assert _actions() == []


def test_rotation_replaces_the_secret_and_keeps_the_history(
    admin_client, greet, developer_token, member
):
    run = stored_run(greet, developer_token, member)

    response = admin_client.post(f"/tokens/{developer_token.pk}/rotate/", {"secret": SECRET})

    developer_token.refresh_from_db()
    assert response.status_code == 302
    assert decrypt_token(developer_token.encrypted_value) == SECRET
    assert developer_token.masked == "••••1706"
    assert Execution.objects.get(pk=run.pk).token == developer_token
    # The new secret is tested at once: the emulator does not know it.
    assert sorted(_actions()) == [AuditAction.TOKEN_ROTATED, AuditAction.TOKEN_TESTED]
    assert developer_token.last_check_ok is False
    page = admin_client.get(response["Location"]).content.decode()
    assert "Connection test failed: Bad token" in page


def test_disabled_token_is_refused_and_can_be_enabled_again(admin_client, developer_token):
    admin_client.post(f"/tokens/{developer_token.pk}/toggle/")
    developer_token.refresh_from_db()
    assert not developer_token.is_active
    assert not AccessToken.objects.usable().exists()

    admin_client.post(f"/tokens/{developer_token.pk}/toggle/")

    developer_token.refresh_from_db()
    assert developer_token.is_active
    assert _actions() == [AuditAction.TOKEN_DISABLED, AuditAction.TOKEN_ENABLED]


def test_delete_asks_first_and_keeps_past_runs_readable(
    admin_client, greet, developer_token, member
):
    run = stored_run(greet, developer_token, member)

    confirm = admin_client.get(f"/tokens/{developer_token.pk}/delete/")
    admin_client.post(f"/tokens/{developer_token.pk}/delete/")

    assert "Past runs keep its name" in confirm.content.decode()
    assert not AccessToken.objects.exists()
    assert Execution.objects.get(pk=run.pk).token_label == "Developer"
    assert _actions() == [AuditAction.TOKEN_DELETED]


@pytest.mark.parametrize(
    ("secret", "base_url", "ok", "message"),
    [
        (DEVELOPER_TOKEN, None, True, "Acts as Demo Developer (developer@example.com)"),
        ("unknown-token-0000000000000000", None, False, "Bad token: the instance refused it"),
        (DEVELOPER_TOKEN, "http://127.0.0.1:9", False, "Instance unreachable: Could not connect"),
    ],
    ids=["ok", "bad token", "unreachable"],
)
def test_connection_test_is_stored_and_shown(
    admin_client, instance, settings, secret, base_url, ok, message
):
    if base_url:
        settings.CODEENGINE_ALLOWED_HOSTS = [*settings.CODEENGINE_ALLOWED_HOSTS, "127.0.0.1:9"]
        Instance.objects.filter(pk=instance.pk).update(custom_base_url=base_url)
    token = make_token(instance, "Checked", secret)

    fragment = admin_client.post(f"/tokens/{token.pk}/test/", HTTP_HX_REQUEST="true")

    token.refresh_from_db()
    assert (token.last_check_ok, token.last_check_message.startswith(message)) == (ok, True)
    html = fragment.content.decode()
    assert html.lstrip().startswith(f'<div class="token-health" id="token-health-{token.pk}">')
    assert ("OK</span>" if ok else "Failing</span>") in html and secret not in html
    assert AuditEvent.objects.get(action=AuditAction.TOKEN_TESTED).details["ok"] is ok


def test_expiring_and_expired_tokens_are_flagged_and_expired_ones_refused(
    admin_client, member_client, greet, developer_token
):
    today = timezone.localdate()
    soon = make_token(greet.instance, "Soon", "soon-token-00000000000000000")
    AccessToken.objects.filter(pk=soon.pk).update(expires_on=today + timedelta(days=5))
    AccessToken.objects.filter(pk=developer_token.pk).update(expires_on=today - timedelta(days=1))

    html = admin_client.get("/tokens/").content.decode()
    page = member_client.get(f"/functions/{greet.pk}/run/").content.decode()

    yesterday, soon = today - timedelta(days=1), today + timedelta(days=5)
    assert f"Expired {yesterday.day} {yesterday:%b %Y}" in html
    assert f"Expires {soon.day} {soon:%b %Y}" in html
    assert "Developer (" not in page and "Soon (" in page


def test_a_run_whose_token_expired_after_queueing_is_refused(greet, developer_token, member):
    from codeengine_ui.runs.tasks import call_code_engine

    run = stored_run(greet, developer_token, member, {"name": "Ada"}, get_logs=False)
    run.mark_running("w")
    AccessToken.objects.filter(pk=developer_token.pk).update(
        expires_on=timezone.localdate() - timedelta(days=1)
    )
    run.refresh_from_db()

    call_code_engine(run)

    run.refresh_from_db()
    assert run.error_code == "token_expired" and "expired on" in run.error_message


def test_a_token_has_one_state_most_pressing_first(developer_token):
    from codeengine_ui.catalog.models import TokenState

    token = AccessToken.objects.get(pk=developer_token.pk)
    today = timezone.localdate()
    cases = [
        ({"is_active": False, "last_check_ok": False}, TokenState.DISABLED),
        ({"expires_on": today - timedelta(days=1), "last_check_ok": False}, TokenState.EXPIRED),
        ({"last_check_ok": False, "expires_on": today}, TokenState.FAILING),
        ({"last_check_ok": None, "expires_on": today + timedelta(days=3)}, TokenState.EXPIRING),
        ({"last_check_ok": None}, TokenState.UNTESTED),
        ({"last_check_ok": True, "expires_on": today + timedelta(days=60)}, TokenState.ACTIVE),
    ]

    for fields, state in cases:
        for name, value in {"is_active": True, "expires_on": None, **fields}.items():
            setattr(token, name, value)
        assert token.state == state, fields


def test_a_new_token_is_tested_as_it_is_added(admin_client, instance):
    response = admin_client.post(
        "/tokens/add/",
        {"instance": instance.pk, "label": "Dev", "secret": DEVELOPER_TOKEN, "expires_on": ""},
        follow=True,
    )

    token = AccessToken.objects.get(label="Dev")
    assert token.last_check_ok is True and token.last_check_at is not None
    assert (
        "Added the token Dev. Connection test: Acts as Demo Developer (developer@example.com)."
        in response.content.decode()
    )
