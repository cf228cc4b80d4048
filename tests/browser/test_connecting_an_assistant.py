"""An assistant connects end to end, against a live console: it discovers the metadata,
registers, opens the authorization URL in Chromium, where the person signs in with a
password, approves one function on the consent page and is sent back to the assistant's
loopback address with a code, which the assistant exchanges for a token."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from codeengine_ui.agents.models import ToolLimit
from codeengine_ui.agents.oauth_tokens import access_for
from codeengine_ui.agents.tools import tool_name
from codeengine_ui.runs.models import Execution, RunSource
from tests.agents.conftest import pkce_pair
from tests.conftest import save_demo_function

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class LoopbackCallback:
    """Where a desktop assistant listens for the end of the sign-in (RFC 8252 7.3)."""

    def __init__(self):
        self.received: list[dict] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                address = urlsplit(self.path)
                if address.path == "/callback":  # not the browser's /favicon.ico
                    received.append(parse_qs(address.query))
                body = b"<!doctype html><title>Connected</title><p>You may close this window."
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/callback"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def callback():
    listening = LoopbackCallback()
    yield listening
    listening.close()


def test_an_assistant_connects_with_one_function(
    page,
    live_server,
    callback,
    member,
    instance,
    developer_token,
    greet,
):
    save_demo_function(instance, developer_token, "sleepFor")
    http = httpx.Client(base_url=live_server.url, timeout=10)

    # Discovery, from the MCP endpoint's address.
    resource_metadata = http.get("/.well-known/oauth-protected-resource/mcp/").json()
    resource = resource_metadata["resource"]
    assert resource == f"{live_server.url}/mcp/"
    [issuer] = resource_metadata["authorization_servers"]
    server = httpx.get(f"{issuer}/.well-known/oauth-authorization-server", timeout=10).json()
    assert server["code_challenge_methods_supported"] == ["S256"]

    registered = httpx.post(
        server["registration_endpoint"],
        json={
            "client_name": "Claude Code",
            "redirect_uris": [callback.url],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        },
        timeout=10,
    )
    assert registered.status_code == 201, registered.text
    client_id = registered.json()["client_id"]

    verifier, challenge = pkce_pair()
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": callback.url,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": "state-42",
        "scope": "tools",
        "resource": resource,
    }
    page.goto(f"{server['authorization_endpoint']}?{urlencode(query)}")

    # The console's login page, then back to the authorization request.
    page.get_by_label("Username").fill("member")
    page.get_by_label("Password").fill("member-password")
    page.get_by_role("button", name="Log in").click()

    expect(
        page.get_by_role("heading", name="Connect “Claude Code” to the console?")
    ).to_be_visible()
    expect(page.get_by_text("the name the assistant gave itself")).to_be_visible()
    assert _serious_problems(page) == []
    page.get_by_label("Only the functions I choose").check()
    page.get_by_label("Greet someone · Emulator · 1.1.0").check()
    page.get_by_role("button", name="Allow").click()

    expect(page.get_by_text("You may close this window.")).to_be_visible()
    [answer] = callback.received
    assert answer["state"] == ["state-42"]
    assert page.problems == []

    tokens = httpx.post(
        server["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": answer["code"][0],
            "redirect_uri": callback.url,
            "client_id": client_id,
            "code_verifier": verifier,
            "resource": resource,
        },
        timeout=10,
    )
    assert tokens.status_code == 200, tokens.text
    access = access_for(tokens.json()["access_token"])
    assert access.user == member
    assert access.application.client_id == client_id
    limit = ToolLimit.objects.get(user=member, oauth_application=access.application)
    assert list(limit.functions.all()) == [greet]

    # The assistant calls the MCP endpoint with its token: it sees the one function, and
    # its run is the person's, kept with the connected client's name.
    mcp = httpx.Client(
        base_url=live_server.url,
        headers={"Authorization": f"Bearer {tokens.json()['access_token']}"},
        timeout=30,
    )
    listed = _rpc(mcp, "tools/list")["tools"]
    [greet_tool] = [tool for tool in listed if tool["name"] not in ("get_run", "search_runs")]
    assert greet_tool["name"] == tool_name(greet)
    called = _rpc(mcp, "tools/call", {"name": greet_tool["name"], "arguments": {"name": "Ada"}})
    assert called["structuredContent"]["run"]["status"] == "SUCCESS"
    run = Execution.objects.get(pk=called["structuredContent"]["run"]["id"])
    assert (run.requested_by, run.source) == (member, RunSource.AGENT)
    assert (run.oauth_client_name, run.agent_client) == ("Claude Code", "Claude Code 2.0")

    # The person finds the assistant on their page, with the one function it may use.
    page.goto(f"{live_server.url}/ai-clients/")
    row = page.get_by_role("row", name="Claude Code")
    expect(row).to_contain_text("Greet someone")
    expect(row).to_contain_text("127.0.0.1")
    assert _serious_problems(page) == []


def _rpc(http: httpx.Client, method: str, params: dict | None = None) -> dict:
    version = "2026-07-28"
    meta = {
        "io.modelcontextprotocol/protocolVersion": version,
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "Claude Code", "version": "2.0"},
    }
    headers = {"MCP-Protocol-Version": version, "Mcp-Method": method}
    if method == "tools/call":
        headers["Mcp-Name"] = params["name"]
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": method,
        "params": {**(params or {}), "_meta": meta},
    }
    answer = http.post("/mcp/", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["result"]


def _serious_problems(shown) -> list[str]:
    violations = Axe().run(shown).response["violations"]
    return [v["id"] for v in violations if v["impact"] in ("serious", "critical")]
