"""What the MCP endpoint asks of a bearer token (access_for) and how it answers without a
good one (challenge_header)."""

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone
from oauth2_provider.models import AccessToken

from codeengine_ui.agents.models import ClientConnection
from codeengine_ui.agents.oauth_tokens import access_for, challenge_header
from tests.agents.conftest import connect


@pytest.fixture
def token(member_client, assistant) -> str:
    return connect(member_client, assistant)["access_token"]


def test_a_good_token_acts_for_its_person_through_its_client(token, member, assistant):
    access = access_for(token)

    assert access.user == member
    assert access.application.client_id == assistant.client_id
    assert access.access_token.user == member
    assert access.scope == "tools"


def test_only_a_checksum_of_the_token_is_stored(token):
    stored = AccessToken.objects.get()

    assert stored.token == ""
    assert token not in stored.token_checksum


def test_an_expired_token_acts_for_nobody(token):
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))

    assert access_for(token) is None


def test_a_token_of_a_deactivated_person_acts_for_nobody(token, member):
    member.is_active = False
    member.save()

    assert access_for(token) is None


def test_a_token_without_the_tools_scope_acts_for_nobody(token):
    AccessToken.objects.update(scope="other")

    assert access_for(token) is None


@pytest.mark.parametrize("text", ["", "not-a-token", "x" * 10_000])
def test_an_unknown_token_acts_for_nobody(db, text):
    assert access_for(text) is None


def test_each_use_is_noted_at_most_once_a_minute(token, member):
    connection = ClientConnection.objects.get(user=member)
    a_while_ago = timezone.now() - timedelta(minutes=5)
    ClientConnection.objects.update(last_used_at=a_while_ago)

    access_for(token)
    connection.refresh_from_db()
    first = connection.last_used_at
    access_for(token)
    connection.refresh_from_db()

    assert first > a_while_ago
    assert connection.last_used_at == first


def test_the_challenge_points_at_the_metadata_and_the_scope():
    request = RequestFactory().get("/mcp/")

    assert challenge_header(request) == (
        'Bearer resource_metadata="http://testserver/.well-known/oauth-protected-resource/mcp/", '
        'scope="tools"'
    )


def test_the_challenge_for_a_bad_token_says_so():
    request = RequestFactory().get("/mcp/")

    header = challenge_header(
        request, error="invalid_token", description='The token "x" expired.\r\n'
    )

    assert header.startswith(
        'Bearer error="invalid_token", error_description="The token \\"x\\" expired.", '
    )
    assert header.endswith('scope="tools"')
