"""An assistant connecting over OAuth, as the MCP authorization spec has it: it registers,
sends the person to the consent page with a PKCE challenge, and exchanges the code."""

import base64
import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.html_forms import submitted_fields

REDIRECT_URI = "http://127.0.0.1:33418/callback"
RESOURCE = "http://testserver/mcp/"


def pkce_pair() -> tuple[str, str]:
    """A code verifier and its S256 challenge (RFC 7636)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def register(client, **metadata):
    body = {
        "client_name": "Claude",
        "redirect_uris": [REDIRECT_URI],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
        **metadata,
    }
    return client.post("/oauth/register/", body, content_type="application/json")


@dataclass
class Assistant:
    """A registered client in the middle of connecting: its PKCE verifier and state."""

    client_id: str
    verifier: str
    challenge: str
    state: str = "xyz-state"

    def authorize_path(self, **extra) -> str:
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": REDIRECT_URI,
            "code_challenge": self.challenge,
            "code_challenge_method": "S256",
            "state": self.state,
            "scope": "tools",
            "resource": RESOURCE,
            **extra,
        }
        return "/oauth/authorize/?" + urlencode({k: v for k, v in query.items() if v is not None})

    def token_request(self, code: str, **extra) -> dict:
        request = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": self.client_id,
            "code_verifier": self.verifier,
            "resource": RESOURCE,
            **extra,
        }
        return {key: value for key, value in request.items() if value is not None}


@pytest.fixture
def assistant(client, db) -> Assistant:
    answer = register(client)
    assert answer.status_code == 201, answer.content
    return Assistant(answer.json()["client_id"], *pkce_pair())


def consent(client, assistant: Assistant, *, allow=True, functions=None, **extra):
    """Open the consent page and answer it as a person would: allow (all the functions, or
    only `functions`) or deny."""
    path = assistant.authorize_path(**extra)
    page = client.get(path)
    assert page.status_code == 200, page.content[:500]
    fields = submitted_fields(page.content.decode())
    if functions is not None:
        fields["tools"] = "chosen"
        fields.setlist("functions", [str(function.pk) for function in functions])
    if allow:
        fields["allow"] = "on"
    return client.post(path, fields)


def redirect_query(response) -> dict:
    assert response.status_code == 302, response.content[:500]
    location = response["Location"]
    assert location.startswith(REDIRECT_URI), location
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def connect(client, assistant: Assistant, **consent_options) -> dict:
    """The whole flow for a signed-in person: consent, then the code for tokens."""
    code = redirect_query(consent(client, assistant, **consent_options))["code"]
    answer = client.post("/oauth/token/", assistant.token_request(code))
    assert answer.status_code == 200, answer.content
    return answer.json()
