"""What an assistant discovers before connecting: the protected resource's metadata (RFC
9728) and the authorization server's (RFC 8414), with absolute URLs, open to browsers."""

import pytest


@pytest.mark.parametrize(
    "path",
    [
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp/",
        "/.well-known/oauth-protected-resource/mcp",
    ],
)
def test_the_protected_resource_is_the_mcp_endpoint(client, path):
    answer = client.get(path)

    assert answer.status_code == 200
    assert answer["Access-Control-Allow-Origin"] == "*"
    assert answer.json() == {
        "resource": "http://testserver/mcp/",
        "authorization_servers": ["http://testserver"],
        "scopes_supported": ["tools"],
        "bearer_methods_supported": ["header"],
        "resource_name": "Code Engine Console",
    }


def test_the_authorization_server_describes_its_endpoints(client):
    answer = client.get("/.well-known/oauth-authorization-server")

    assert answer.status_code == 200
    assert answer["Access-Control-Allow-Origin"] == "*"
    assert answer.json() == {
        "issuer": "http://testserver",
        "authorization_endpoint": "http://testserver/oauth/authorize/",
        "token_endpoint": "http://testserver/oauth/token/",
        "registration_endpoint": "http://testserver/oauth/register/",
        "revocation_endpoint": "http://testserver/oauth/revoke/",
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "revocation_endpoint_auth_methods_supported": ["none"],
        "scopes_supported": ["tools"],
        "authorization_response_iss_parameter_supported": True,
    }


def test_urls_follow_the_address_the_assistant_used_behind_a_proxy(client, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.ALLOWED_HOSTS = ["console.example.com"]

    answer = client.get(
        "/.well-known/oauth-protected-resource/mcp/",
        HTTP_HOST="console.example.com",
        HTTP_X_FORWARDED_PROTO="https",
    )

    assert answer.json()["resource"] == "https://console.example.com/mcp/"
    assert answer.json()["authorization_servers"] == ["https://console.example.com"]


def test_a_browser_may_ask_before_fetching_with_the_mcp_header(client):
    answer = client.options(
        "/.well-known/oauth-authorization-server",
        HTTP_ORIGIN="https://inspector.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="mcp-protocol-version",
    )

    assert answer.status_code == 204
    assert answer["Access-Control-Allow-Origin"] == "*"
    assert "MCP-Protocol-Version" in answer["Access-Control-Allow-Headers"]


def test_the_token_endpoint_is_open_to_browsers_too(client):
    answer = client.post("/oauth/token/", {"grant_type": "authorization_code"})

    assert answer.status_code in (400, 401)
    assert answer["Access-Control-Allow-Origin"] == "*"
