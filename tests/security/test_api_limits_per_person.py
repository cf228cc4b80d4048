"""Limits hold per person, not only per key: more keys buy no more requests, runs in flight
or waits, and one person may have only API_KEYS_PER_USER keys in use."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from codeengine_ui.access.models import ApiKey

pytestmark = pytest.mark.django_db


def test_a_persons_keys_share_the_requests_of_a_minute(settings, client, member):
    settings.API_REQUESTS_PER_MINUTE = 5
    settings.API_USER_REQUESTS_PER_MINUTE = 4
    keys = [ApiKey.issue(member, f"key {index}", "read")[1] for index in range(3)]

    answers = [
        client.get("/api/v1/functions", HTTP_AUTHORIZATION=f"Bearer {keys[index % 3]}")
        for index in range(6)
    ]

    assert [answer.status_code for answer in answers] == [200] * 4 + [429] * 2
    assert answers[-1].json()["code"] == "rate_limited"
    assert "API_USER_REQUESTS_PER_MINUTE" in answers[-1].json()["detail"]
    assert 1 <= int(answers[-1]["Retry-After"]) <= 60


def test_the_profile_page_refuses_a_key_past_the_limit_and_says_why(
    settings, member_client, member
):
    settings.API_KEYS_PER_USER = 2
    for name in ("first", "second"):
        ApiKey.issue(member, name, "read")

    page = member_client.post(
        "/profile/", {"name": "third", "scope": "read", "expires_on": ""}
    ).content.decode()

    assert "You have 2 API keys in use, the most one person may have (API_KEYS_PER_USER)" in page
    assert 'id="new-key"' not in page
    assert ApiKey.objects.filter(user=member).count() == 2


def test_a_revoked_key_makes_room_for_a_new_one(settings, member_client, member):
    settings.API_KEYS_PER_USER = 1
    old, _text = ApiKey.issue(member, "old", "read")
    member_client.post(f"/profile/keys/{old.pk}/revoke/")

    page = member_client.post(
        "/profile/", {"name": "new", "scope": "read", "expires_on": ""}
    ).content.decode()

    assert 'id="new-key"' in page


def test_the_command_that_creates_keys_obeys_the_same_limit(settings, member):
    settings.API_KEYS_PER_USER = 1
    call_command("create_api_key", "member", "first", stdout=StringIO())

    with pytest.raises(CommandError, match="API_KEYS_PER_USER"):
        call_command("create_api_key", "member", "second")
    with pytest.raises(CommandError, match="You already have a key named “first”"):
        call_command("create_api_key", "member", "first")
