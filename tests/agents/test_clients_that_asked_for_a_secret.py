"""A client that asked to register with client_secret_post or client_secret_basic is
registered public: it exchanges its code with PKCE and no secret, and a secret it sends
anyway (empty or not, in the body or a Basic header) is not held against it. A
confidential client's secret is still checked."""

import base64

import pytest
from oauth2_provider.models import Application

from codeengine_ui.agents.oauth_tokens import access_for
from tests.agents.conftest import Assistant, consent, pkce_pair, redirect_query, register


@pytest.fixture(params=["client_secret_post", "client_secret_basic"])
def claude(request, client, db) -> Assistant:
    answer = register(client, token_endpoint_auth_method=request.param)
    assert answer.status_code == 201, answer.content
    return Assistant(answer.json()["client_id"], *pkce_pair())


def basic(client_id: str, secret: str) -> dict:
    credentials = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {credentials}"}


@pytest.mark.parametrize(
    "secret_field, headers",
    [
        (None, {}),
        ("", {}),
        ("what-the-client-thought-it-had", {}),
        ("undefined", {}),
    ],
    ids=["no secret", "empty secret", "a secret", "undefined"],
)
def test_the_code_is_exchanged_without_a_secret(
    client, member_client, member, claude, secret_field, headers
):
    code = redirect_query(consent(member_client, claude))["code"]

    answer = client.post(
        "/oauth/token/", claude.token_request(code, client_secret=secret_field), **headers
    )

    assert answer.status_code == 200, answer.content
    assert access_for(answer.json()["access_token"]).user == member


@pytest.mark.parametrize("secret", ["", "what-the-client-thought-it-had"])
def test_a_basic_header_with_the_client_id_is_accepted(
    client, member_client, member, claude, secret
):
    code = redirect_query(consent(member_client, claude))["code"]
    request = claude.token_request(code)
    del request["client_id"]

    answer = client.post("/oauth/token/", request, **basic(claude.client_id, secret))

    assert answer.status_code == 200, answer.content
    assert access_for(answer.json()["access_token"]).user == member


def test_refreshing_and_revoking_with_a_secret_work_too(client, member_client, claude):
    code = redirect_query(consent(member_client, claude))["code"]
    tokens = client.post("/oauth/token/", claude.token_request(code)).json()
    secret = {"client_id": claude.client_id, "client_secret": "what-the-client-thought-it-had"}

    renewed = client.post(
        "/oauth/token/",
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], **secret},
    )
    revoked = client.post("/oauth/revoke/", {"token": renewed.json()["access_token"], **secret})

    assert renewed.status_code == 200, renewed.content
    assert revoked.status_code == 200, revoked.content
    assert access_for(renewed.json()["access_token"]) is None


def test_the_code_still_needs_the_verifier(client, member_client, claude):
    code = redirect_query(consent(member_client, claude))["code"]

    answer = client.post(
        "/oauth/token/",
        claude.token_request(code, code_verifier="x" * 64, client_secret="anything"),
    )

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_a_confidential_clients_secret_is_still_checked(client, db):
    confidential = Application.objects.create(
        name="Internal",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://internal.example/cb",
        client_secret="the-real-secret",
    )

    answer = client.post(
        "/oauth/token/",
        {"grant_type": "refresh_token", "refresh_token": "x", "client_id": confidential.client_id,
         "client_secret": "a-wrong-secret"},
    )  # fmt: skip

    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"
