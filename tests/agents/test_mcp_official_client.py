"""The official MCP SDK client against /mcp/ of the whole stack as `make run` starts it (web
server, worker and emulator), in the current protocol version and the handshake era."""

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import Implementation

pytestmark = pytest.mark.stack
ROOT = Path(__file__).resolve().parent.parent.parent
MODES = ["auto", "legacy"]  # auto: server/discover, the current version; legacy: initialize


@pytest.fixture(scope="module")
def stack(shared_stack):
    return shared_stack


@pytest.fixture(scope="module")
def agent_key(stack):
    return stack.api_key("agent", scope="tools")


@pytest.fixture(scope="module")
def api(stack):
    key = stack.api_key("reader of the history", scope="read")
    return httpx.Client(
        base_url=f"{stack.base_url}/api/v1", headers={"Authorization": f"Bearer {key}"}
    )


def with_client(stack, key: str, work, *, mode: str = "auto", name: str = "pytest-agent"):
    """`work(client)` in an SDK client session signed in with `key`; what it returns."""

    async def session():
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=60)
        transport = streamable_http_client(f"{stack.base_url}/mcp/", http_client=http)
        client_info = Implementation(name=name, version="1.0")
        async with http, Client(transport, mode=mode, client_info=client_info) as client:
            return await work(client)

    # In a thread of its own: a browser test's Playwright keeps an event loop running in
    # the main thread for the whole session.
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(anyio.run, session).result()


def greet_tool(tools):
    [tool] = [t for t in tools if t.name.startswith("greet__emulator__v1_1_0")]
    return tool


@pytest.mark.parametrize("mode", MODES)
def test_the_client_connects_and_lists_the_functions_as_tools(stack, agent_key, mode):
    async def work(client):
        return client.protocol_version, (await client.list_tools()).tools

    version, tools = with_client(stack, agent_key, work, mode=mode)

    assert version == ("2026-07-28" if mode == "auto" else "2025-11-25")
    names = {tool.name for tool in tools}
    assert {"get_run", "search_runs"} <= names
    greet = greet_tool(tools)
    assert greet.input_schema["type"] == "object"
    assert "name" in greet.input_schema["properties"]
    assert "Says hello" in greet.description
    assert greet.output_schema["required"] == ["run"]


@pytest.mark.parametrize("mode", MODES)
def test_a_call_runs_the_function_and_keeps_the_run_in_the_history(stack, agent_key, api, mode):
    async def work(client):
        greet = greet_tool((await client.list_tools()).tools)
        return await client.call_tool(greet.name, {"name": "Ada"})

    result = with_client(stack, agent_key, work, mode=mode, name=f"Claude test {mode}")

    assert not result.is_error, result.content
    assert "Ada" in json.dumps(result.structured_content["result"])
    run = result.structured_content["run"]
    assert run["status"] == "SUCCESS"
    assert run["url"] == f"{stack.base_url}/executions/{run['id']}/"
    kept = api.get(f"/runs/{run['id']}").json()
    assert (kept["source"], kept["api_key"]) == ("agent", "agent")
    assert kept["ai_client"] == f"Claude test {mode} 1.0"
    assert kept["inputs"] == {"name": "Ada"}


def test_bad_arguments_come_back_as_field_errors_and_nothing_runs(stack, agent_key, api):
    before = len(api.get("/runs", params={"source": "agent", "limit": 200}).json()["runs"])

    async def work(client):
        greet = greet_tool((await client.list_tools()).tools)
        return await client.call_tool(greet.name, {"name": 5, "unknown": 1})

    result = with_client(stack, agent_key, work)

    assert result.is_error
    text = result.content[0].text
    assert "nothing was run" in text
    assert "- name:" in text and "- unknown:" in text
    after = len(api.get("/runs", params={"source": "agent", "limit": 200}).json()["runs"])
    assert after == before


def test_a_failing_function_is_explained(stack, agent_key):
    async def work(client):
        tools = (await client.list_tools()).tools
        [failing] = [tool for tool in tools if tool.name.startswith("failWithError__")]
        return await client.call_tool(failing.name, {})

    result = with_client(stack, agent_key, work)

    assert result.is_error
    text = result.content[0].text
    assert "ended as failed" in text
    assert "errorInformation" in text
    assert result.structured_content["run"]["status"] == "FAILED"


def test_a_slow_run_returns_its_id_and_get_run_follows_it(stack, agent_key):
    async def work(client):
        tools = (await client.list_tools()).tools
        [sleeper] = [tool for tool in tools if tool.name.startswith("sleepFor__")]
        first = await client.call_tool(sleeper.name, {"seconds": 4})
        run_id = first.structured_content["run"]["id"]
        later = await client.call_tool("get_run", {"run_id": run_id, "wait_seconds": 20})
        return first, later

    first, later = with_client(stack, agent_key, work)

    assert not first.is_error
    assert first.structured_content["run"]["status"] in ("queued", "running")
    assert "get_run" in first.content[0].text
    assert later.structured_content["run"]["status"] == "SUCCESS"


def test_search_runs_reads_the_history(stack, agent_key):
    async def work(client):
        return await client.call_tool("search_runs", {"source": "agent", "limit": 5})

    result = with_client(stack, agent_key, work)

    assert not result.is_error
    assert all(run["source"] == "agent" for run in result.structured_content["runs"])


def test_a_read_only_key_lists_but_may_not_run(stack, agent_key):
    reader = stack.api_key("read-only agent", scope="read")

    async def work(client):
        greet = greet_tool((await client.list_tools()).tools)
        return await client.call_tool(greet.name, {"name": "Ada"})

    result = with_client(stack, reader, work)

    assert result.is_error
    assert "read-only" in result.content[0].text


def test_a_key_limited_to_some_functions_lists_only_those(stack):
    key = stack.api_key("limited agent", scope="tools")
    stack.manage(
        "shell",
        "-c",
        "from codeengine_ui.agents.models import ToolLimit;"
        "from codeengine_ui.access.models import ApiKey;"
        "from codeengine_ui.catalog.models import Function;"
        "key = ApiKey.objects.get(name='limited agent');"
        "limit = ToolLimit.objects.create(user=key.user, api_key=key);"
        "limit.functions.set(Function.objects.filter(function_name='greet', version='1.1.0'))",
    )

    async def work(client):
        return [tool.name for tool in (await client.list_tools()).tools]

    names = with_client(stack, key, work)

    assert [name for name in names if name not in ("get_run", "search_runs")] == [
        greet_tool_name for greet_tool_name in names if greet_tool_name.startswith("greet__")
    ]
    assert len(names) == 3


def test_a_revoked_key_is_refused_with_a_challenge(stack):
    key = stack.api_key("revoked agent", scope="tools")
    stack.manage(
        "shell",
        "-c",
        "from django.utils import timezone;"
        "from codeengine_ui.access.models import ApiKey;"
        "ApiKey.objects.filter(name='revoked agent').update(revoked_at=timezone.now())",
    )

    async def work(client):
        return await client.list_tools()

    with pytest.raises(Exception):  # noqa: B017 (the SDK's error for a refused connection)
        with_client(stack, key, work)
    answer = httpx.post(
        f"{stack.base_url}/mcp/",
        headers={"Authorization": f"Bearer {key}", "Accept": "application/json"},
        json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
    )
    assert answer.status_code == 401
    assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]
    assert "resource_metadata=" in answer.headers["WWW-Authenticate"]


@pytest.mark.parametrize("mode", MODES)
def test_a_client_that_asks_for_progress_hears_the_run_go(stack, agent_key, mode):
    heard = []

    async def progress(progress, total, message):
        heard.append(message)

    async def work(client):
        tools = (await client.list_tools()).tools
        [sleeper] = [tool for tool in tools if tool.name.startswith("sleepFor__")]
        return await client.call_tool(sleeper.name, {"seconds": 1}, progress_callback=progress)

    result = with_client(stack, agent_key, work, mode=mode)

    assert result.structured_content["run"]["status"] == "SUCCESS"
    run_id = result.structured_content["run"]["id"]
    assert heard and heard[-1] == f"Run {run_id}: SUCCESS"
    assert any(message.endswith("running") for message in heard)


OAUTH_TOKENS = (
    "from datetime import timedelta;"
    "from django.contrib.auth import get_user_model;"
    "from django.utils import timezone;"
    "from oauth2_provider.models import get_access_token_model, get_application_model;"
    "app = get_application_model().objects.create(name='Claude', client_type='public',"
    " authorization_grant_type='authorization-code', redirect_uris='http://127.0.0.1/cb');"
    "person = get_user_model().objects.get(username='admin');"
    "tokens = get_access_token_model().objects;"
    "tokens.create(user=person, application=app, token='expired-oauth-token', scope='tools',"
    " expires=timezone.now() - timedelta(minutes=1));"
    "tokens.create(user=person, application=app, token='live-oauth-token', scope='tools',"
    " expires=timezone.now() + timedelta(hours=1))"
)


def test_an_oauth_token_signs_in_until_it_expires(stack):
    stack.manage("shell", "-c", OAUTH_TOKENS)

    async def work(client):
        greet = greet_tool((await client.list_tools()).tools)
        return await client.call_tool(greet.name, {"name": "Ada"})

    result = with_client(stack, "live-oauth-token", work)
    assert result.structured_content["run"]["status"] == "SUCCESS"

    with pytest.raises(Exception):  # noqa: B017 (the SDK's error for a refused connection)
        with_client(stack, "expired-oauth-token", work)
    answer = httpx.post(
        f"{stack.base_url}/mcp/",
        headers={"Authorization": "Bearer expired-oauth-token"},
        json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
    )
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
