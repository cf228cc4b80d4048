"""People create, see and revoke their API keys; admins see and revoke everyone's."""

import re
from datetime import UTC, date, datetime

import pytest
from django.utils import timezone

from codeengine_ui.access.models import ApiKey, AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


def test_a_key_is_shown_once_and_only_its_fingerprint_is_kept(member_client, member):
    page = member_client.post(
        "/profile/", {"name": "CI deploy job", "scope": "run", "expires_on": ""}
    ).content.decode()

    shown = re.search(r'id="new-key" readonly value="(ce_[^"]+)"', page).group(1)
    key = ApiKey.objects.get(user=member)
    assert shown not in str(key.__dict__)
    assert ApiKey.find(shown) == key
    again = member_client.get("/profile/").content.decode()
    assert shown not in again and "CI deploy job" in again
    assert AuditEvent.objects.filter(action=AuditAction.API_KEY_CREATED).count() == 1


def test_the_owner_revokes_a_key_and_it_stops_working(member_client, member):
    key, text = ApiKey.issue(member, "notebook", "read")

    member_client.post(f"/profile/keys/{key.pk}/revoke/")

    assert ApiKey.find(text) is None
    assert AuditEvent.objects.filter(action=AuditAction.API_KEY_REVOKED).count() == 1


def test_someone_elses_key_cannot_be_revoked_but_an_admin_can(member_client, viewer, admin_client):
    key, text = ApiKey.issue(viewer, "theirs", "read")

    assert member_client.post(f"/profile/keys/{key.pk}/revoke/").status_code == 404
    assert ApiKey.find(text) == key
    assert "theirs" in admin_client.get("/team/api-keys/").content.decode()
    admin_client.post(f"/profile/keys/{key.pk}/revoke/", {"next": "all"})
    assert ApiKey.find(text) is None


def test_names_are_unique_per_person_and_expiry_is_not_in_the_past(member_client, member):
    ApiKey.issue(member, "ci", "run")
    page = member_client.post(
        "/profile/", {"name": "ci", "scope": "run", "expires_on": "2001-01-01"}
    ).content.decode()
    assert "You already have a key named “ci”." in page
    assert "Choose a day from today on." in page
    assert ApiKey.objects.count() == 1


def test_a_keys_last_day_ends_at_the_same_instant_whatever_zone_the_caller_names(
    client, member, monkeypatch
):
    """The server's day decides, not the time-zone cookie a caller may send along."""
    late_evening_utc = datetime(2026, 6, 15, 20, 0, tzinfo=UTC)  # June 16 in Kiritimati
    early_morning_utc = datetime(2026, 6, 16, 5, 0, tzinfo=UTC)  # June 15 at UTC-12
    _key, last_day = ApiKey.issue(member, "last day", "read", date(2026, 6, 15))
    headers = {"HTTP_AUTHORIZATION": f"Bearer {last_day}"}

    monkeypatch.setattr(timezone, "now", lambda: late_evening_utc)
    client.cookies["console_tz"] = "Pacific/Kiritimati"
    assert client.get("/api/v1/functions", **headers).status_code == 200

    monkeypatch.setattr(timezone, "now", lambda: early_morning_utc)
    client.cookies["console_tz"] = "Etc/GMT+12"
    assert client.get("/api/v1/functions", **headers).status_code == 401
