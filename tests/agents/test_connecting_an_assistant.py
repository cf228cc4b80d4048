"""The whole OAuth flow of an assistant, with Django's test client: registered, the person
signs in and approves it with a limit, the code is exchanged with the PKCE verifier, the
token acts for the person, refreshes, and stops at once when the connection is revoked."""

from urllib.parse import parse_qs, urlsplit

from codeengine_ui.access.models import AuditAction, AuditEvent
from codeengine_ui.agents.models import ClientConnection, ToolLimit
from codeengine_ui.agents.oauth_tokens import access_for
from tests.agents.conftest import RESOURCE, connect, consent, redirect_query
from tests.html_forms import submitted_fields


def test_a_member_connects_an_assistant_limited_to_one_function(client, assistant, member, greet):
    # Signed out, the authorization request goes to the login page and survives it.
    path = assistant.authorize_path()
    to_login = client.get(path)
    assert to_login.status_code == 302
    login_url = urlsplit(to_login["Location"])
    assert login_url.path == "/accounts/login/"
    [next_path] = parse_qs(login_url.query)["next"]
    assert next_path == path
    signed_in = client.post(
        "/accounts/login/",
        {"username": "member", "password": "member-password", "next": next_path},
    )
    assert signed_in.status_code == 302 and signed_in["Location"] == path

    page = client.get(path)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Connect “Claude” to the console?" in html
    assert "the name the assistant gave itself" in html
    assert "127.0.0.1:33418" in html
    assert "All the functions I may run" in html
    assert "Greet someone · Emulator · 1.1.0" in html
    assert "http://127.0.0.1:33418" in page["Content-Security-Policy"]

    fields = submitted_fields(html)
    fields.update({"allow": "on", "tools": "chosen", "functions": str(greet.pk)})
    answer = redirect_query(client.post(path, fields))
    assert answer["state"] == assistant.state
    assert answer["iss"] == "http://testserver"

    tokens = client.post("/oauth/token/", assistant.token_request(answer["code"]))
    assert tokens.status_code == 200, tokens.content
    token = tokens.json()
    assert token["token_type"] == "Bearer" and token["scope"] == "tools"

    access = access_for(token["access_token"])
    assert access.user == member
    assert access.application.client_id == assistant.client_id
    assert access.scope == "tools"
    limit = ToolLimit.objects.get(user=member, oauth_application=access.application)
    assert list(limit.functions.all()) == [greet]
    event = AuditEvent.objects.get(action=AuditAction.AI_CLIENT_CONNECTED)
    assert event.actor == member
    assert event.details == {"client": "Claude", "tools": ["Greet someone"]}
    assert ClientConnection.objects.get(user=member).last_used_at is not None


def test_the_code_needs_the_right_verifier(client, member_client, assistant):
    code = redirect_query(consent(member_client, assistant))["code"]

    wrong = client.post("/oauth/token/", assistant.token_request(code, code_verifier="x" * 64))

    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"


def test_a_code_is_used_once(member_client, assistant):
    code = redirect_query(consent(member_client, assistant))["code"]
    first = member_client.post("/oauth/token/", assistant.token_request(code))

    again = member_client.post("/oauth/token/", assistant.token_request(code))

    assert first.status_code == 200
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_the_refresh_token_gives_a_new_token_and_the_old_one_is_spent(
    client, member_client, member, assistant
):
    tokens = connect(member_client, assistant)
    refresh = {
        "grant_type": "refresh_token",
        "refresh_token": tokens["refresh_token"],
        "client_id": assistant.client_id,
        "resource": RESOURCE,
    }

    renewed = client.post("/oauth/token/", refresh)
    replayed = client.post("/oauth/token/", refresh)

    assert renewed.status_code == 200, renewed.content
    new = renewed.json()
    assert new["access_token"] != tokens["access_token"]
    assert access_for(new["access_token"]) is None  # a replay revokes the whole family
    assert replayed.status_code == 400


def test_a_refreshed_token_acts_for_the_person(client, member_client, member, assistant):
    tokens = connect(member_client, assistant)

    renewed = client.post(
        "/oauth/token/",
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": assistant.client_id,
        },
    ).json()

    assert access_for(renewed["access_token"]).user == member


def test_revoking_the_connection_stops_its_token_at_once(member_client, member, assistant):
    tokens = connect(member_client, assistant)
    connection = ClientConnection.objects.get(user=member)
    assert access_for(tokens["access_token"]) is not None

    page = member_client.post(f"/ai-clients/{connection.pk}/revoke/", follow=True)

    assert "Revoked “Claude” for member: its tokens no longer work." in page.content.decode()
    assert access_for(tokens["access_token"]) is None
    refresh = member_client.post(
        "/oauth/token/",
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": assistant.client_id,
        },
    )
    assert refresh.status_code == 400
    event = AuditEvent.objects.get(action=AuditAction.AI_CLIENT_REVOKED)
    assert event.details == {"client": "Claude", "owner": "member"}


def test_the_assistant_may_revoke_its_own_token(client, member_client, assistant):
    tokens = connect(member_client, assistant)

    answer = client.post(
        "/oauth/revoke/",
        {"token": tokens["access_token"], "client_id": assistant.client_id},
    )

    assert answer.status_code == 200
    assert access_for(tokens["access_token"]) is None
