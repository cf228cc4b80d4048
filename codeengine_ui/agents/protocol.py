"""MCP's JSON-RPC over Streamable HTTP, as /mcp/ speaks it: each POST carries one request
or notification and gets one JSON answer; no server-to-client stream, no state kept.

Both eras of the protocol are served:
- the current one (2026-07-28): no handshake; every request carries its protocol version
  and the client's description in `params._meta`, mirrored in the MCP-Protocol-Version,
  Mcp-Method and Mcp-Name headers; `server/discover` says what the server supports;
- the handshake era (2024-11-05 to 2025-11-25): `initialize` first. Its answer gives an
  Mcp-Session-Id that carries the client's name, signed, so the requests after it are
  attributed without any session kept on the server.

Results are shaped for the request's version by MCP's own message models (`mcp_types`).
"""

import json
import logging
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.core.exceptions import RequestDataTooBig
from mcp_types import (
    CLIENT_CAPABILITIES_META_KEY,
    CLIENT_INFO_META_KEY,
    PROTOCOL_VERSION_META_KEY,
    SERVER_INFO_META_KEY,
)
from mcp_types.jsonrpc import (
    HEADER_MISMATCH,
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
    UNSUPPORTED_PROTOCOL_VERSION,
)
from mcp_types.methods import CACHEABLE_METHODS, serialize_server_result
from mcp_types.version import (
    HANDSHAKE_PROTOCOL_VERSIONS,
    LATEST_HANDSHAKE_VERSION,
    MODERN_PROTOCOL_VERSIONS,
)
from pydantic import ValidationError

from codeengine_ui.json_text import NotStandardJSON, loads
from codeengine_ui.text_lines import as_one_line

logger = logging.getLogger(__name__)
# Without a version header, a handshake-era client is taken to speak this one (the
# transport's rule for clients older than the header).
ASSUMED_VERSION = "2025-03-26"
SESSION_SALT = "codeengine_ui.agents.session"
SESSION_SECONDS = 7 * 86400  # a session id names its client for a week; then it names none
MAX_BODY_BYTES = 1024 * 1024
SERVER_INFO = {"name": "code-engine-console", "title": "Code Engine Console", "version": "1"}
# The HTTP status each protocol error is answered with in the current version (the rest
# are 200). In the handshake era only a message that could not be read is a 400: there a
# 404 tells a client its session ended, and it would start again.
HTTP_STATUS = {
    PARSE_ERROR: 400,
    INVALID_REQUEST: 400,
    INVALID_PARAMS: 400,
    HEADER_MISMATCH: 400,
    UNSUPPORTED_PROTOCOL_VERSION: 400,
    METHOD_NOT_FOUND: 404,
}
NAME_BEARING = {"tools/call": "name"}
UNREADABLE = (PARSE_ERROR, INVALID_REQUEST)


def http_status(failure: "ProtocolError", message: "Message | None") -> int:
    if message is not None and not message.modern:
        return 400 if failure.code in UNREADABLE else 200
    return HTTP_STATUS.get(failure.code, 200)


class ProtocolError(Exception):
    """A request the protocol refuses, as a JSON-RPC error."""

    def __init__(self, code: int, message: str, data: Any = None):
        super().__init__(message)
        self.code, self.message, self.data = code, message, data


@dataclass
class Message:
    """One JSON-RPC message from a client, with the era and version it speaks."""

    method: str
    params: dict
    id: Any = None  # None: a notification
    version: str = ASSUMED_VERSION
    client: str = ""  # the name (and version) the client gave itself

    @property
    def modern(self) -> bool:
        return self.version in MODERN_PROTOCOL_VERSIONS

    @property
    def is_notification(self) -> bool:
        return self.id is None


def read(body: bytes, headers) -> Message:
    """The message a POST carries, its era decided; or a ProtocolError."""
    if len(body) > MAX_BODY_BYTES:
        raise ProtocolError(INVALID_REQUEST, "The request is over 1 MB.")
    try:
        data = loads(body)
    except NotStandardJSON as refusal:
        raise ProtocolError(PARSE_ERROR, f"The body is not standard JSON: {refusal}.") from None
    except (ValueError, RecursionError):
        raise ProtocolError(PARSE_ERROR, "The body is not JSON.") from None
    if isinstance(data, list):
        raise ProtocolError(INVALID_REQUEST, "Send one JSON-RPC message per request.")
    if not isinstance(data, dict) or data.get("jsonrpc") != "2.0":
        raise ProtocolError(
            INVALID_REQUEST, 'A JSON-RPC 2.0 message is an object with "jsonrpc": "2.0".'
        )
    method = data.get("method")
    if not isinstance(method, str):
        if "result" in data or "error" in data:  # an answer to a request we never send
            raise ProtocolError(INVALID_REQUEST, "This server sends no requests to answer.")
        raise ProtocolError(INVALID_REQUEST, "The message names no method.")
    params = data.get("params")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise ProtocolError(INVALID_PARAMS, "params must be an object.")
    message = Message(method=method, params=params, id=data.get("id"))
    if "id" in data and (data["id"] is None or isinstance(data["id"], bool | float | dict | list)):
        raise ProtocolError(INVALID_REQUEST, "A request's id is a string or an integer.")
    _decide_era(message, headers)
    return message


def _decide_era(message: Message, headers) -> None:
    meta = message.params.get("_meta")
    header_version = headers.get("MCP-Protocol-Version")
    if message.method == "initialize":
        asked = message.params.get("protocolVersion")
        message.version = (
            asked if asked in HANDSHAKE_PROTOCOL_VERSIONS else LATEST_HANDSHAKE_VERSION
        )
        message.client = _client_name(message.params.get("clientInfo"))
        return
    modern = (isinstance(meta, dict) and PROTOCOL_VERSION_META_KEY in meta) or (
        header_version in MODERN_PROTOCOL_VERSIONS
    )
    if modern:
        _check_envelope(message, meta, headers)
        return
    if header_version is not None and header_version not in HANDSHAKE_PROTOCOL_VERSIONS:
        raise _unsupported(header_version)
    message.version = header_version or ASSUMED_VERSION
    message.client = session_client(headers.get("Mcp-Session-Id", ""))


def _check_envelope(message: Message, meta: Any, headers) -> None:
    """The current era's per-request fields: present, agreeing with the headers, and of a
    version this server speaks."""
    if not isinstance(meta, dict):
        raise ProtocolError(
            INVALID_PARAMS,
            f"params._meta must be an object with {PROTOCOL_VERSION_META_KEY!r} and "
            f"{CLIENT_CAPABILITIES_META_KEY!r}.",
        )
    required = (PROTOCOL_VERSION_META_KEY, CLIENT_CAPABILITIES_META_KEY)
    missing = [key for key in required if key not in meta]
    if missing:
        raise ProtocolError(INVALID_PARAMS, f"params._meta lacks {', '.join(missing)}.")
    version = meta[PROTOCOL_VERSION_META_KEY]
    if headers.get("MCP-Protocol-Version") != version:
        raise ProtocolError(HEADER_MISMATCH, "MCP-Protocol-Version differs from params._meta.")
    if headers.get("Mcp-Method") != message.method:
        raise ProtocolError(HEADER_MISMATCH, "Mcp-Method differs from the body's method.")
    name_key = NAME_BEARING.get(message.method)
    named = message.params.get(name_key) if name_key else None
    if named is not None and headers.get("Mcp-Name") != named:
        raise ProtocolError(HEADER_MISMATCH, f"Mcp-Name differs from params.{name_key}.")
    if not isinstance(version, str) or version not in MODERN_PROTOCOL_VERSIONS:
        raise _unsupported(str(version))
    message.version = version
    message.client = _client_name(meta.get(CLIENT_INFO_META_KEY))


def _unsupported(version: str) -> ProtocolError:
    supported = [*MODERN_PROTOCOL_VERSIONS, *HANDSHAKE_PROTOCOL_VERSIONS]
    return ProtocolError(
        UNSUPPORTED_PROTOCOL_VERSION,
        "Unsupported protocol version",
        {"supported": supported, "requested": version},
    )


def _client_name(info: Any) -> str:
    if not isinstance(info, dict):
        return ""
    name = as_one_line(str(info.get("title") or info.get("name") or ""))[:120]
    version = as_one_line(str(info.get("version") or ""))[:40]
    return f"{name} {version}".strip() if name else ""


def body_of(request) -> bytes:
    """The request's body, or a ProtocolError when it is over what the server reads."""
    try:
        return request.body
    except RequestDataTooBig:
        raise ProtocolError(INVALID_REQUEST, "The request is too large.") from None


def new_session(client: str) -> str:
    """The Mcp-Session-Id an `initialize` answer gives: the client's name, signed."""
    return signing.dumps({"client": client}, salt=SESSION_SALT, compress=True)


def session_client(session_id: str) -> str:
    if not session_id or len(session_id) > 1000:
        return ""
    try:
        data = signing.loads(session_id, salt=SESSION_SALT, max_age=SESSION_SECONDS)
        return str(data.get("client", ""))[:200]
    except (signing.BadSignature, AttributeError):
        return ""


# --- answers ------------------------------------------------------------------------------


def discover_result() -> dict:
    return {
        "supportedVersions": [*MODERN_PROTOCOL_VERSIONS, *HANDSHAKE_PROTOCOL_VERSIONS],
        "capabilities": {"tools": {"listChanged": False}},
        "instructions": INSTRUCTIONS,
    }


def initialize_result(message: Message) -> dict:
    return {
        "protocolVersion": message.version,
        "capabilities": {"tools": {"listChanged": False}},
        "serverInfo": SERVER_INFO,
        "instructions": INSTRUCTIONS,
    }


INSTRUCTIONS = (
    "Each tool runs one Domo Code Engine function as the person who connected you, and "
    "every run is kept in the team's history. A run that takes longer than the wait "
    "returns its id: follow it with get_run. search_runs reads the history."
)


def result(message: Message, data: dict) -> dict:
    """The JSON-RPC answer carrying `data`, shaped for the message's protocol version."""
    if message.modern:
        data = {"resultType": "complete", **data}
        if message.method in CACHEABLE_METHODS:
            # What a person may use changes when an admin changes grants: never cached.
            data = {"ttlMs": 0, "cacheScope": "private", **data}
    try:
        shaped = serialize_server_result(message.method, message.version, data)
    except KeyError:  # a method of no spec'd result shape: as it is
        shaped = dict(data)
    except (ValidationError, ValueError):  # a shape, or nesting, the models refuse
        logger.exception(
            "The answer to %s does not fit protocol %s", message.method, message.version
        )
        raise ProtocolError(
            INTERNAL_ERROR, "The server built an answer the protocol refuses."
        ) from None
    if message.modern:
        shaped.setdefault("resultType", "complete")
        shaped["_meta"] = {**shaped.get("_meta", {}), SERVER_INFO_META_KEY: SERVER_INFO}
    return {"jsonrpc": "2.0", "id": message.id, "result": shaped}


def error(request_id: Any, failure: ProtocolError) -> dict:
    body = {"code": failure.code, "message": failure.message}
    if failure.data is not None:
        body["data"] = failure.data
    return {"jsonrpc": "2.0", "id": request_id, "error": body}


def progress(token: Any, step: int, text: str) -> dict:
    """A progress notification for the request that carried `token`."""
    return {
        "jsonrpc": "2.0",
        "method": "notifications/progress",
        "params": {"progressToken": token, "progress": step, "message": text},
    }


def sse(message: dict) -> bytes:
    """One message as a server-sent event of a request's stream."""
    return f"event: message\ndata: {json.dumps(message)}\n\n".encode()
