"""The official MCP SDK's OAuth client accepts what the console answers: its metadata, its
registration answer to the SDK's own registration request, the 401 challenge, and the
`iss` of the authorization response."""

import httpx
from django.test import RequestFactory
from mcp.client.auth.oauth2 import check_registration_usable
from mcp.client.auth.utils import (
    create_client_registration_request,
    extract_resource_metadata_from_www_auth,
    extract_scope_from_www_auth,
    validate_authorization_response_iss,
    validate_metadata_issuer,
)
from mcp.shared.auth import (
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthMetadata,
    ProtectedResourceMetadata,
)

from codeengine_ui.agents.oauth_tokens import challenge_header
from tests.agents.conftest import REDIRECT_URI, consent, redirect_query


def test_the_sdk_discovers_registers_and_checks_the_issuer(client, member_client, assistant):
    resource = ProtectedResourceMetadata.model_validate(
        client.get("/.well-known/oauth-protected-resource/mcp/").json()
    )
    server = OAuthMetadata.model_validate(
        client.get("/.well-known/oauth-authorization-server").json()
    )
    validate_metadata_issuer(server, str(resource.authorization_servers[0]))

    request = create_client_registration_request(
        server,
        OAuthClientMetadata(redirect_uris=[REDIRECT_URI], client_name="SDK client"),
        "http://testserver",
    )
    answer = client.post(
        httpx.URL(str(request.url)).path, request.content, content_type="application/json"
    )
    registered = OAuthClientInformationFull.model_validate(answer.json())
    check_registration_usable(registered)
    assert registered.token_endpoint_auth_method == "none"

    code_answer = redirect_query(consent(member_client, assistant))
    validate_authorization_response_iss(code_answer["iss"], server)


def test_the_sdk_reads_the_challenge():
    header = challenge_header(RequestFactory().get("/mcp/"), error="invalid_token")
    response = httpx.Response(401, headers={"WWW-Authenticate": header})

    assert extract_resource_metadata_from_www_auth(response) == (
        "http://testserver/.well-known/oauth-protected-resource/mcp/"
    )
    assert extract_scope_from_www_auth(response) == "tools"
