"""Anyone may register a client with any https redirect URI, so an error in an
authorization request is shown on the console's page, never sent to that URI: only the
code after Allow and access_denied after Deny go back to the client."""

from urllib.parse import urlencode

import pytest
from oauth2_provider.models import Grant, get_application_model

from codeengine_ui.agents.models import ClientConnection
from tests.agents.conftest import Assistant, pkce_pair, register
from tests.agents.test_consent_page import assert_error_page
from tests.html_forms import submitted_fields

EVIL = "https://evil.example/cb"


@pytest.fixture
def evil(client, db) -> Assistant:
    answer = register(client, client_name="Claude", redirect_uris=[EVIL])
    assert answer.status_code == 201, answer.content
    return Assistant(answer.json()["client_id"], *pkce_pair())


def evil_path(assistant: Assistant, **extra) -> str:
    return assistant.authorize_path(redirect_uri=EVIL, **extra)


BAD_REQUESTS = {
    "plain PKCE": ({"code_challenge_method": "plain", "code_challenge": "x"}, "S256"),
    "no PKCE": ({"code_challenge_method": None, "code_challenge": None}, "Code challenge"),
    "unknown scope": ({"scope": "admin"}, "the only one is “tools”"),
    "implicit grant": ({"response_type": "token"}, "response_type=code"),
    "no response type": ({"response_type": None}, "response_type"),
    "foreign resource": ({"resource": "https://evil.example/mcp/"}, "MCP endpoint only"),
    "malformed resource": ({"resource": "not-a-uri"}, "MCP endpoint only"),
}


@pytest.mark.parametrize("extra, says", BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
def test_a_bad_request_is_shown_on_the_page_not_sent_to_the_client(
    member_client, evil, extra, says
):
    answer = member_client.get(evil_path(evil, **extra))

    assert_error_page(answer, says)


def test_a_signed_out_person_sees_the_error_after_signing_in(client, member, evil):
    path = evil_path(evil, code_challenge_method="plain", code_challenge="x")

    to_login = client.get(path)
    assert to_login.status_code == 302
    assert to_login["Location"].startswith("/accounts/login/?next=")
    signed_in = client.post(
        "/accounts/login/?" + urlencode({"next": path}),
        {"username": "member", "password": "member-password", "next": path},
        follow=True,
    )

    assert signed_in.redirect_chain[-1][0] == path
    assert_error_page(signed_in, "S256")


FORM_TAMPERING = {
    "implicit grant": ({"response_type": "token"}, "response_type=code"),
    "unknown scope": ({"scope": "admin"}, "the only one is “tools”"),
    "malformed resource": ({"resource": "not-a-uri"}, "MCP endpoint only"),
    "foreign resource": ({"resource": "https://evil.example/mcp/"}, "MCP endpoint only"),
    "no PKCE": ({"code_challenge": "", "code_challenge_method": ""}, "S256"),
}


@pytest.mark.parametrize("changed, says", FORM_TAMPERING.values(), ids=FORM_TAMPERING.keys())
def test_a_bad_request_slipped_into_the_form_is_shown_on_the_page(
    member_client, evil, changed, says
):
    path = evil_path(evil)
    fields = submitted_fields(member_client.get(path).content.decode())
    fields.update({"allow": "on", **changed})

    assert_error_page(member_client.post(path, fields), says)
    assert not Grant.objects.exists()
    assert not ClientConnection.objects.exists()


def test_deny_still_goes_back_to_the_client(member_client, evil):
    path = evil_path(evil)
    fields = submitted_fields(member_client.get(path).content.decode())

    answer = member_client.post(path, fields)

    assert answer.status_code == 302
    assert answer["Location"].startswith(f"{EVIL}?error=access_denied")


def test_allow_still_goes_back_to_the_client_with_the_code(member_client, evil):
    path = evil_path(evil)
    fields = submitted_fields(member_client.get(path).content.decode())
    fields["allow"] = "on"

    answer = member_client.post(path, fields)

    assert answer.status_code == 302
    assert answer["Location"].startswith(f"{EVIL}?code=")


def test_an_application_marked_to_skip_authorization_still_shows_the_page(member_client, assistant):
    get_application_model().objects.filter(client_id=assistant.client_id).update(
        skip_authorization=True
    )

    page = member_client.get(assistant.authorize_path())

    assert page.status_code == 200
    assert "Connect “Claude” to the console?" in page.content.decode()
    assert not Grant.objects.exists()
