"""The rules a token obeys whoever touches it: its secret, its expiry, concurrent edits."""

import contextlib
from datetime import UTC, date, datetime

import pytest
from django.db.models.signals import pre_save
from django.utils import timezone

from codeengine_ui.catalog.encryption import decrypt_token, encrypt_token
from codeengine_ui.catalog.models import AccessToken
from tests.html_forms import submitted_fields

NON_ASCII_SECRETS = [
    "dév-token-6f1d2c3b4a5e6f70",
    "dev-token 6f1d2c3b4a5e6f70",
    "dev-token-6f1d2c3b\u200b4a",
]


@pytest.mark.parametrize("secret", NON_ASCII_SECRETS)
def test_a_secret_no_header_can_carry_is_refused_everywhere_it_is_set(
    admin_client, instance, developer_token, secret
):
    before = AccessToken.objects.get(pk=developer_token.pk).encrypted_value
    pages = [
        ("/tokens/add/", {"instance": instance.pk, "label": "New", "secret": secret}),
        (f"/tokens/{developer_token.pk}/rotate/", {"secret": secret}),
        (
            "/admin/catalog/accesstoken/add/",
            {"instance": instance.pk, "label": "New", "secret": secret, "is_active": "on"},
        ),
        (
            f"/admin/catalog/accesstoken/{developer_token.pk}/change/",
            {"label": "Developer", "secret": secret, "is_active": "on"},
        ),
    ]

    for url, data in pages:
        response = admin_client.post(url, data)

        assert response.status_code == 200, url
        assert "contains a character no Domo access token has" in response.content.decode()

    assert not AccessToken.objects.filter(label="New").exists()
    assert AccessToken.objects.get(pk=developer_token.pk).encrypted_value == before


# Expiry: one instant for everyone. The server's zone is UTC; a viewer's cookie must not move
# the end of a token's last day.
LATE_EVENING_UTC = datetime(2026, 6, 15, 20, 0, tzinfo=UTC)  # June 16 in Kiritimati
EARLY_MORNING_UTC = datetime(2026, 6, 15, 5, 0, tzinfo=UTC)  # June 14 at UTC-12


@pytest.fixture
def frozen_now(monkeypatch):
    def freeze(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return freeze


def _offered_tokens(client, function) -> str:
    html = client.get(f"/functions/{function.pk}/run/").content.decode()
    return html.split('name="token"')[1].split("</select>")[0]


def test_a_token_on_its_last_day_stays_usable_whatever_the_viewers_zone(
    member_client, greet, developer_token, frozen_now
):
    AccessToken.objects.filter(pk=developer_token.pk).update(expires_on=date(2026, 6, 15))
    frozen_now(LATE_EVENING_UTC)
    member_client.cookies["console_tz"] = "Pacific/Kiritimati"

    assert "Developer" in _offered_tokens(member_client, greet)
    assert not AccessToken.objects.get(pk=developer_token.pk).is_expired


def test_an_expired_token_stays_expired_whatever_the_viewers_zone(
    admin_client, greet, developer_token, frozen_now
):
    AccessToken.objects.filter(pk=developer_token.pk).update(expires_on=date(2026, 6, 14))
    frozen_now(EARLY_MORNING_UTC)
    admin_client.cookies["console_tz"] = "Etc/GMT+12"

    assert "Developer" not in _offered_tokens(admin_client, greet)
    browse = admin_client.get(f"/instances/{greet.instance_id}/browse/").content.decode()
    assert "No token of this instance is granted to you" in browse
    assert "Expired 14 Jun 2026" in admin_client.get("/tokens/").content.decode()


# Lost updates: each action writes only what it changes, on a locked row.


@contextlib.contextmanager
def meanwhile(change):
    """Run `change` (another admin's action, through the database) just before the next
    token save, as if it had happened while this request was being handled."""
    done = []

    def interfere(sender, instance, **kwargs):
        if not done:
            done.append(True)
            change(instance.pk)

    pre_save.connect(interfere, sender=AccessToken, weak=False, dispatch_uid="meanwhile")
    try:
        yield
    finally:
        pre_save.disconnect(sender=AccessToken, dispatch_uid="meanwhile")


ROTATED = "rotated-secret-000000000000"


def _rotate(pk) -> None:
    AccessToken.objects.filter(pk=pk).update(
        encrypted_value=encrypt_token(ROTATED), last_four="0000"
    )


@pytest.mark.parametrize(
    "page", ["/tokens/{pk}/", "/admin/catalog/accesstoken/{pk}/change/"], ids=["console", "admin"]
)
def test_an_edit_does_not_undo_a_rotation_made_meanwhile(admin_client, developer_token, page):
    url = page.format(pk=developer_token.pk)
    form = submitted_fields(admin_client.get(url).content.decode())
    form["label"] = "Renamed"

    with meanwhile(_rotate):
        admin_client.post(url, form)

    token = AccessToken.objects.get(pk=developer_token.pk)
    assert token.label == "Renamed"
    assert decrypt_token(token.encrypted_value) == ROTATED


def test_a_rotation_does_not_undo_a_disable_made_meanwhile(admin_client, developer_token):
    with meanwhile(lambda pk: AccessToken.objects.filter(pk=pk).update(is_active=False)):
        admin_client.post(
            f"/tokens/{developer_token.pk}/rotate/", {"secret": "new-secret-1234567890abcd"}
        )

    token = AccessToken.objects.get(pk=developer_token.pk)
    assert not token.is_active
    assert decrypt_token(token.encrypted_value) == "new-secret-1234567890abcd"
