"""A real OpenID Connect provider on loopback (oidc-provider-mock), as the console is
configured to sign in with, plus a record of what the console sent it."""

import base64
import hashlib
import io
import json
import threading
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import httpx
import oidc_provider_mock
import pytest
import werkzeug.serving

PROVIDER_ID = "acme"
PROVIDER_LABEL = "Acme SSO"
CLIENT_ID = "code-engine-console"
ROLE_MAP = {"ce-admins": "admin", "ce-developers": "member", "ce-readers": "viewer"}


@dataclass
class IdentityProvider:
    url: str
    authorize_requests: list[dict] = field(default_factory=list)
    token_requests: list[dict] = field(default_factory=list)
    end_session_requests: list[dict] = field(default_factory=list)
    # The token endpoint refuses every code, quoting in its error what it was sent (the
    # code, the verifier, the client's secret), as a careless provider might.
    token_errors_quote_the_request: bool = False

    def add_user(self, sub: str, **claims) -> None:
        """Who the provider signs in as `sub` (the next sign-in sees these claims)."""
        httpx.put(f"{self.url}/users/{sub}", json=claims).raise_for_status()

    def pkce_verified(self) -> bool:
        """Whether the last token request's code_verifier matches the S256 challenge the
        console sent with the authorization request."""
        challenge = self.authorize_requests[-1]["code_challenge"]
        verifier = self.token_requests[-1]["code_verifier"]
        digest = hashlib.sha256(verifier.encode()).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == challenge


def link_by_email(settings, allowed: bool = True) -> None:
    """Let the provider's sign-in with a verified email reach the account that has it
    (OIDC_<NAME>_LINK_BY_EMAIL), on the configuration the fixture made."""
    apps = settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"]
    apps[0]["settings"]["email_authentication"] = allowed


def _recording(app, provider: IdentityProvider):
    def recorded(environ, start_response):
        path = environ.get("PATH_INFO", "")
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        if path == "/oauth2/authorize":
            provider.authorize_requests.append(query)
        elif path == "/oauth2/end_session":
            provider.end_session_requests.append(query)
        elif path == "/oauth2/token":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length)
            provider.token_requests.append({k: v[0] for k, v in parse_qs(body.decode()).items()})
            environ["wsgi.input"] = io.BytesIO(body)
            if provider.token_errors_quote_the_request:
                sent = f"{body.decode()} {environ.get('HTTP_AUTHORIZATION', '')}"
                error = json.dumps({"error": "invalid_grant", "error_description": sent})
                start_response("400 Bad Request", [("Content-Type", "application/json")])
                return [error.encode()]
        return app(environ, start_response)

    return recorded


@pytest.fixture
def identity_provider(settings, monkeypatch):
    """The provider running, and the console configured to sign in with it (roles from the
    `groups` claim by ROLE_MAP)."""
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # plain HTTP on loopback
    provider = IdentityProvider(url="")
    server = werkzeug.serving.make_server(
        "127.0.0.1", 0, _recording(oidc_provider_mock.app(), provider), threaded=True
    )
    provider.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": PROVIDER_ID,
                    "name": PROVIDER_LABEL,
                    "client_id": CLIENT_ID,
                    "secret": "provider-secret",
                    "settings": {
                        "server_url": provider.url,
                        "oauth_pkce_enabled": True,
                        "scope": ["openid", "profile", "email"],
                    },
                }
            ],
        }
    }
    csp = {**settings.SECURE_CSP}
    csp["form-action"] = [*csp["form-action"], provider.url]
    settings.SECURE_CSP = csp
    settings.OIDC_ROLE_MAP = dict(ROLE_MAP)
    settings.OIDC_ROLES_CLAIM = "groups"
    try:
        yield provider
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()
