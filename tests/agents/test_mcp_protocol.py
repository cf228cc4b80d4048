"""/mcp/ as the protocol has it, request by request: eras, headers, errors, sign-in."""

import json

import pytest

from codeengine_ui.access.models import ApiKey
from codeengine_ui.agents.tools import tool_name

pytestmark = pytest.mark.django_db
MODERN = "2026-07-28"


@pytest.fixture
def agent_key(member):
    return ApiKey.issue(member, "agent", "tools")[1]


def post(client, key, body, **headers):
    extra = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    extra.update(
        {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
    )
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.post("/mcp/", raw, content_type="application/json", **extra)


def modern(method, params=None, request_id=1, **headers):
    meta = {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "Tester", "version": "2"},
    }
    body = {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": method,
        "params": {**(params or {}), "_meta": meta},
    }
    return body, {"MCP-Protocol-Version": MODERN, "Mcp-Method": method, **headers}


def test_discover_names_the_versions_and_the_tools_capability(client, agent_key):
    body, headers = modern("server/discover")
    answer = post(client, agent_key, body, **headers).json()["result"]

    assert MODERN in answer["supportedVersions"] and "2025-11-25" in answer["supportedVersions"]
    assert answer["capabilities"]["tools"] == {"listChanged": False}
    assert answer["resultType"] == "complete"
    assert answer["_meta"]["io.modelcontextprotocol/serverInfo"]["name"] == "code-engine-console"


def test_the_headers_must_agree_with_the_body(client, agent_key):
    body, headers = modern("tools/list")
    headers["Mcp-Method"] = "tools/call"
    answer = post(client, agent_key, body, **headers)

    assert answer.status_code == 400
    assert (
        answer.json()["error"]["code"] == -32001
        or "Mcp-Method" in answer.json()["error"]["message"]
    )


def test_an_unknown_version_is_refused_with_the_supported_ones(client, agent_key):
    body, headers = modern("tools/list")
    body["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = "2099-01-01"
    headers["MCP-Protocol-Version"] = "2099-01-01"
    error = post(client, agent_key, body, **headers).json()["error"]

    assert error["code"] == -32022
    assert MODERN in error["data"]["supported"] and error["data"]["requested"] == "2099-01-01"


def test_initialize_gives_a_session_that_names_the_client_on_later_requests(
    client, agent_key, greet, member
):
    first = post(
        client,
        agent_key,
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "Cursor", "version": "1.7"},
            },
        },
    )
    session = first["Mcp-Session-Id"]
    assert first.json()["result"]["protocolVersion"] == "2025-06-18"
    assert (
        post(
            client, agent_key, {"jsonrpc": "2.0", "method": "notifications/initialized"}
        ).status_code
        == 202
    )

    answer = post(
        client,
        agent_key,
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": tool_name(greet), "arguments": {"name": 7}},
        },
        **{"MCP-Protocol-Version": "2025-06-18", "Mcp-Session-Id": session},
    ).json()["result"]
    assert answer["isError"] is True
    assert "name:" in answer["content"][0]["text"]


def test_a_forged_session_names_no_client(client, agent_key):
    from codeengine_ui.agents.protocol import session_client

    assert session_client("eyJjbGllbnQiOiJldmlsIn0:1xZtrh:forged") == ""


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{not json", -32700),
        ('[{"jsonrpc": "2.0", "id": 1, "method": "ping"}]', -32600),
        ('{"jsonrpc": "1.0", "id": 1, "method": "ping"}', -32600),
        ('{"jsonrpc": "2.0", "id": 1, "method": "resources/list"}', -32601),
        ('{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "nope"}}', -32602),
    ],
)
def test_malformed_requests_get_json_rpc_errors_never_a_500(client, agent_key, raw, code):
    answer = post(client, agent_key, raw)

    assert answer.status_code in (200, 400, 404)
    assert answer.json()["error"]["code"] == code


def test_no_stream_is_offered_and_other_sites_may_not_call(client, agent_key):
    assert client.get("/mcp/", HTTP_AUTHORIZATION=f"Bearer {agent_key}").status_code == 405
    answer = post(
        client,
        agent_key,
        {"jsonrpc": "2.0", "id": 1, "method": "ping"},
        Origin="https://evil.example",
    )
    assert answer.status_code == 403


def test_without_a_key_the_answer_is_a_challenge(client):
    answer = post(client, None, {"jsonrpc": "2.0", "id": 1, "method": "ping"})

    assert answer.status_code == 401
    challenge = answer["WWW-Authenticate"]
    assert challenge.startswith("Bearer ")
    assert "/.well-known/oauth-protected-resource" in challenge


def test_a_session_cookie_is_not_a_sign_in(member_client):
    answer = member_client.post(
        "/mcp/",
        json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"}),
        content_type="application/json",
    )
    assert answer.status_code == 401


def test_tools_are_only_those_the_person_may_run(client, agent_key, greet, viewer):
    body, headers = modern("tools/list")
    names = {
        tool["name"] for tool in post(client, agent_key, body, **headers).json()["result"]["tools"]
    }
    viewer_key = ApiKey.issue(viewer, "viewer agent", "tools")[1]
    viewer_names = {
        tool["name"] for tool in post(client, viewer_key, body, **headers).json()["result"]["tools"]
    }

    assert tool_name(greet) in names
    assert viewer_names == {"get_run", "search_runs"}


def test_an_ai_tools_key_is_refused_by_the_json_api(client, agent_key):
    answer = client.get("/api/v1/functions", HTTP_AUTHORIZATION=f"Bearer {agent_key}")

    assert (answer.status_code, answer.json()["code"]) == (403, "key_for_ai_tools")


def test_two_versions_of_a_long_named_function_never_share_a_tool_name(instance):
    from codeengine_ui.catalog.models import Function

    made = [
        Function(
            instance=instance,
            package_id="3f2a9c00-0000-4000-8000-000000000001",
            function_name="calculateQuarterlyRevenueForecastForEveryRegion",
            version=version,
        )
        for version in ("1.10.0", "1.10.1")
    ]
    names = {tool_name(function) for function in made}

    assert len(names) == 2
    assert all(len(name) <= 64 for name in names)
    assert all(
        name.startswith("calculateQuarterlyRevenueForecastForEveryRegion__") for name in names
    )


def test_a_read_and_write_key_is_the_apis_not_an_agents(client, member):
    key = ApiKey.issue(member, "ci", "run")[1]
    answer = post(client, key, {"jsonrpc": "2.0", "id": 1, "method": "ping"})

    assert answer.status_code == 403
    assert "AI tools scope" in answer.json()["error"]["message"]


def test_in_the_handshake_era_only_an_unreadable_message_is_an_http_error(client, agent_key):
    headers = {"MCP-Protocol-Version": "2025-06-18"}
    unknown = post(
        client, agent_key, {"jsonrpc": "2.0", "id": 7, "method": "prompts/list"}, **headers
    )
    modern_body, modern_headers = modern("prompts/list")
    modern_unknown = post(client, agent_key, modern_body, **modern_headers)

    assert (unknown.status_code, unknown.json()["error"]["code"], unknown.json()["id"]) == (
        200,
        -32601,
        7,
    )
    assert modern_unknown.status_code == 404


def test_a_limit_reached_answers_with_the_requests_id(client, agent_key, settings):
    settings.API_REQUESTS_PER_MINUTE = 1
    post(client, agent_key, {"jsonrpc": "2.0", "id": 1, "method": "ping"})
    refused = post(client, agent_key, {"jsonrpc": "2.0", "id": "second", "method": "ping"})

    assert refused.status_code == 429
    assert refused.json()["id"] == "second"
    assert refused["Retry-After"]


def test_a_result_too_large_or_too_deep_is_named_not_sent(client, agent_key, greet, settings):
    from codeengine_ui.agents.calls import why_not_sent

    settings.MCP_RESULT_MAX_BYTES = 1000
    deep: list = []
    inner = deep
    for _ in range(300):
        inner.append([])
        inner = inner[0]

    assert "nests more than 200 levels" in why_not_sent(deep)
    assert "MCP_RESULT_MAX_BYTES" in why_not_sent({"rows": ["x" * 100] * 20})
    assert why_not_sent({"greeting": "Hello"}) == ""


def test_search_runs_names_functions_as_tools_and_refuses_what_it_cannot_find(
    client, agent_key, greet
):
    body, headers = modern("tools/call", {"name": "search_runs", "arguments": {"function": "²"}})
    headers["Mcp-Name"] = "search_runs"
    refused = post(client, agent_key, body, **headers).json()["result"]
    body, headers = modern(
        "tools/call", {"name": "search_runs", "arguments": {"function": tool_name(greet)}}
    )
    headers["Mcp-Name"] = "search_runs"
    found = post(client, agent_key, body, **headers).json()["result"]

    assert refused["isError"] is True and "No function you may use" in refused["content"][0]["text"]
    assert found.get("isError") is not True


def test_a_forged_origin_of_null_is_refused_and_an_allowed_one_gets_cors(
    client, agent_key, settings
):
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    assert post(client, agent_key, ping, Origin="null").status_code == 403

    settings.MCP_ALLOWED_ORIGINS = ["https://assistant.example"]
    allowed = post(client, agent_key, ping, Origin="https://assistant.example")
    preflight = client.options("/mcp/", HTTP_ORIGIN="https://assistant.example")

    assert allowed["Access-Control-Allow-Origin"] == "https://assistant.example"
    assert (
        preflight.status_code == 204 and "Mcp-Method" in preflight["Access-Control-Allow-Headers"]
    )


def test_a_client_name_loses_its_control_and_direction_characters(client, agent_key):
    from codeengine_ui.agents.protocol import _client_name

    assert _client_name({"name": "Claude\u202e\nevil", "version": "1\t2"}) == "Claude evil 1 2"
