"""What an assistant reads before it connects: the protected resource's metadata (RFC 9728)
and the authorization server's (RFC 8414). The console is both, at one origin; every URL
is built from the request, so it is the address the assistant used (behind a proxy, as
SECURE_PROXY_SSL_HEADER and the Host header say)."""

from urllib.parse import urlsplit

from django.urls import reverse
from oauth2_provider.settings import oauth2_settings

SCOPES = ["tools"]
RESOURCE_NAME = "Code Engine Console"


def issuer(request) -> str:
    return f"{request.scheme}://{request.get_host()}"


def resource_url(request) -> str:
    return issuer(request) + reverse("agents:mcp")


def resource_metadata_url(request) -> str:
    return request.build_absolute_uri(reverse("agents:oauth_protected_resource_of_mcp"))


def names_this_resource(uri: str, request) -> bool:
    """Whether an RFC 8707 `resource` names this console's MCP endpoint (scheme and host
    compared without regard to case, with or without its final slash)."""
    given, ours = urlsplit(uri), urlsplit(resource_url(request))
    return (
        given.scheme.lower() == ours.scheme
        and given.netloc.lower() == ours.netloc.lower()
        and given.path.rstrip("/") == ours.path.rstrip("/")
        and not given.query
        and not given.fragment
    )


def protected_resource_metadata(request) -> dict:
    return {
        "resource": resource_url(request),
        "authorization_servers": [issuer(request)],
        "scopes_supported": SCOPES,
        "bearer_methods_supported": ["header"],
        "resource_name": RESOURCE_NAME,
    }


def authorization_server_metadata(request) -> dict:
    def url(name: str) -> str:
        return request.build_absolute_uri(reverse(f"agents:{name}"))

    data = {
        "issuer": issuer(request),
        "authorization_endpoint": url("oauth_authorize"),
        "token_endpoint": url("oauth_token"),
        "registration_endpoint": url("oauth_register"),
        "revocation_endpoint": url("oauth_revoke"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "revocation_endpoint_auth_methods_supported": ["none"],
        "scopes_supported": SCOPES,
    }
    if oauth2_settings.COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS:  # RFC 9207
        data["authorization_response_iss_parameter_supported"] = True
    return data
