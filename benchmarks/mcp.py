"""The MCP endpoint against the whole stack as `make run` starts it (web server, run worker
and emulator, under honcho, on a fresh database and free ports), in the current protocol
version, as an agent's requests reach it (HTTP, an AI tools key).

  mcp_tools_list_p95     tools/list with 200 saved functions the key's person may run,
                         each with the demo's inputs (ms, 50 samples)
  mcp_call_added_p50     tools/call of an instant function, to its result, minus a direct
                         httpx call to the same emulator function just before (ms, 50
                         samples)
"""

import os
import statistics
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared import figure, percentile  # noqa: E402

from codeengine_ui.demo.stack import DemoStack  # noqa: E402

VAR = ROOT / "var"
SAMPLES = 50
FUNCTIONS = 200
VERSION = "2026-07-28"


def timed(call) -> tuple[float, object]:
    started = time.perf_counter()
    value = call()
    return (time.perf_counter() - started) * 1000, value


def request(method: str, params: dict | None = None, name: str = "") -> tuple[dict, dict]:
    meta = {
        "io.modelcontextprotocol/protocolVersion": VERSION,
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "bench", "version": "1"},
    }
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": method,
        "params": {**(params or {}), "_meta": meta},
    }
    headers = {"MCP-Protocol-Version": VERSION, "Mcp-Method": method}
    if name:
        headers["Mcp-Name"] = name
    return body, headers


def main() -> None:
    with DemoStack(VAR / "bench-mcp.sqlite3", VAR / "bench-mcp.log", history=False) as stack:
        key = stack.api_key("bench agent", scope="tools")
        os.environ.update(stack.environment)
        import django

        django.setup()
        from django.conf import settings

        from codeengine_ui.agents.tools import tool_name
        from codeengine_ui.catalog.models import Function

        greet = Function.objects.get(function_name="greet", version="1.1.0")
        saved = Function.objects.count()
        copies = [
            Function(
                instance=greet.instance,
                package_id=greet.package_id,
                function_name=f"greet{n}",
                version=greet.version,
                display_name=f"Greet {n}",
                description=greet.description,
                parameters=greet.parameters,
                output=greet.output,
            )
            for n in range(FUNCTIONS - saved)
        ]
        Function.objects.bulk_create(copies)

        mcp = httpx.Client(
            base_url=stack.base_url,
            headers={
                "Authorization": f"Bearer {key}",
                "Accept": "application/json, text/event-stream",
            },
            timeout=120,
        )
        body, headers = request("tools/list")
        listed = mcp.post("/mcp/", json=body, headers=headers).json()["result"]["tools"]
        assert len(listed) >= FUNCTIONS, len(listed)
        lists = []
        for _ in range(SAMPLES):
            elapsed, response = timed(lambda: mcp.post("/mcp/", json=body, headers=headers))
            response.raise_for_status()
            lists.append(elapsed)
        figure("mcp_tools_list_p95", percentile(lists, 0.95), "ms")

        direct = httpx.Client(
            base_url=stack.environment["CODEENGINE_EMULATOR_URL"],
            headers={"X-DOMO-Developer-Token": settings.CODEENGINE_EMULATOR_TOKEN},
        )
        path = f"/api/codeengine/v2/packages/{greet.package_id}/versions/1.1.0/functions/greet"
        name = tool_name(greet)
        call, call_headers = request(
            "tools/call", {"name": name, "arguments": {"name": "Bench"}}, name
        )

        def direct_call() -> float:
            payload = {"inputVariables": {"name": "Direct"}, "settings": {"getLogs": True}}
            elapsed, response = timed(lambda: direct.post(path, json=payload))
            response.raise_for_status()
            return elapsed

        for _ in range(3):  # warm up
            mcp.post("/mcp/", json=call, headers=call_headers).raise_for_status()
        added = []
        for _ in range(SAMPLES):
            direct_ms = direct_call()
            elapsed, response = timed(lambda: mcp.post("/mcp/", json=call, headers=call_headers))
            result = response.json()["result"]
            assert result["structuredContent"]["run"]["status"] == "SUCCESS", result
            added.append(elapsed - direct_ms)
        figure("mcp_call_added_p50", statistics.median(added), "ms")


if __name__ == "__main__":
    main()
