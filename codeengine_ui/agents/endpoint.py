"""/mcp/: the Model Context Protocol endpoint for AI agents. Every request signs in (an API
key, or an OAuth token of a connected client), is counted against the key's and the
person's limits, and sees only the functions its person may run now."""

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt

from codeengine_ui.api.problems import Problem

from . import calls, protocol, signin
from .tools import FOLLOW_UP_TOOLS, function_tool

logger = logging.getLogger(__name__)
LIMIT_REACHED = -32000  # a server-defined JSON-RPC error: a limit of the key or the person


@csrf_exempt
@login_not_required
def mcp(request) -> HttpResponse:
    if not _origin_allowed(request):
        return _problem(403, "This Origin may not call the MCP endpoint.")
    if request.method == "OPTIONS" and request.headers.get("Origin"):
        return _for_browsers(request, HttpResponse(status=204))
    if request.method != "POST":
        # No stream from the server to the client: every answer comes with its request.
        response = HttpResponse(status=405)
        response["Allow"] = "POST"
        return response
    return _for_browsers(request, _answer_post(request))


def _answer_post(request) -> HttpResponse:
    message = None
    try:
        caller = signin.caller_of(request)
        message = protocol.read(protocol.body_of(request), request.headers)
        if message.is_notification:
            return HttpResponse(status=202)
        caller.client_name = message.client
        if message.method == "tools/call":
            return _tool_call(request, caller, message)
        answer, headers = _answer(caller, message)
    except signin.SignInRefused as refused:
        return _unauthorised(request, refused)
    except protocol.ProtocolError as failure:
        return _error_response(message, failure)
    except Problem as problem:  # a limit of the key or the person
        response = _error_response(
            message or _message_if_readable(request),
            protocol.ProtocolError(LIMIT_REACHED, problem.detail),
            status=problem.status,
        )
        for name, value in problem.headers.items():
            response[name] = value
        return response
    response = JsonResponse(answer)
    for name, value in headers.items():
        response[name] = value
    return response


def _answer(caller: calls.Caller, message: protocol.Message) -> tuple[dict, dict]:
    method = message.method
    if method == "initialize":
        session = protocol.new_session(message.client)
        return protocol.result(message, protocol.initialize_result(message)), {
            "Mcp-Session-Id": session
        }
    if method == "server/discover":
        return protocol.result(message, protocol.discover_result()), {}
    if method == "ping":
        return protocol.result(message, {}), {}
    if method == "tools/list":
        tools = [function_tool(function) for function in caller.functions]
        return protocol.result(message, {"tools": [*tools, *FOLLOW_UP_TOOLS]}), {}
    raise protocol.ProtocolError(protocol.METHOD_NOT_FOUND, f"No method {method!r} here.")


def _tool_call(request, caller: calls.Caller, message: protocol.Message) -> HttpResponse:
    """A tool's result; for a function, once its run ends or the wait is over. A client
    that accepts a stream and asked for progress hears how the run goes meanwhile."""
    params = message.params
    name = params.get("name")
    if not isinstance(name, str):
        raise protocol.ProtocolError(protocol.INVALID_PARAMS, "tools/call needs the tool's name.")
    meta = params.get("_meta") if isinstance(params.get("_meta"), dict) else {}
    try:
        outcome = calls.call(caller, name, params.get("arguments") or {}, meta)
    except calls.ToolError as refusal:
        outcome = {"content": [{"type": "text", "text": str(refusal)}], "isError": True}
    if outcome is None:
        raise protocol.ProtocolError(
            protocol.INVALID_PARAMS,
            f"Unknown tool {name!r}: tools/list gives the tools you may use.",
        )
    if isinstance(outcome, dict):
        return JsonResponse(protocol.result(message, outcome))
    logs = bool(meta.get(calls.LOGS_META_KEY))
    token = meta.get("progressToken")
    wants_progress = isinstance(token, str | int) and not isinstance(token, bool)
    if wants_progress and "text/event-stream" in request.headers.get("Accept", ""):
        return _streamed(caller, message, outcome.pk, token, logs)
    # A wait holds a web thread: it takes one of the key's and the person's waiting places
    # (none free: the answer comes at once, with the run's id to follow).
    with caller.wait_place(settings.MCP_WAIT_SECONDS) as seconds:
        execution = calls.wait_for_end(outcome.pk, seconds)
    waited = bool(seconds) or not settings.MCP_WAIT_SECONDS
    result = calls.run_result(caller, execution, logs=logs, waited=waited)
    return JsonResponse(protocol.result(message, result))


def _streamed(caller, message, run_id: int, token, logs: bool):
    def events():
        with caller.wait_place(settings.MCP_WAIT_SECONDS) as seconds:
            for step, state in enumerate(calls.states_of(run_id, seconds)):
                yield protocol.sse(protocol.progress(token, step, f"Run {run_id}: {state}"))
        execution = calls.wait_for_end(run_id, 0)
        waited = bool(seconds) or not settings.MCP_WAIT_SECONDS
        result = calls.run_result(caller, execution, logs=logs, waited=waited)
        yield protocol.sse(protocol.result(message, result))

    response = StreamingHttpResponse(events(), content_type="text/event-stream")
    response["Cache-Control"] = "no-store"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


def _origin_allowed(request) -> bool:
    """A browser page of another site may not drive an agent's session (DNS rebinding):
    an Origin, when sent, must be this console's, or one in MCP_ALLOWED_ORIGINS (an
    assistant that runs in a browser page)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    if origin.strip().lower() == "null":  # a sandboxed frame or a file: never this console
        return False
    if origin in settings.MCP_ALLOWED_ORIGINS:
        return True
    return url_has_allowed_host_and_scheme(
        origin, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


def _for_browsers(request, response: HttpResponse) -> HttpResponse:
    """What an allowed browser page needs to read the answer (CORS)."""
    origin = request.headers.get("Origin")
    if origin and origin in settings.MCP_ALLOWED_ORIGINS:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = (
            "Authorization, Content-Type, Accept, MCP-Protocol-Version, Mcp-Method, "
            "Mcp-Name, Mcp-Session-Id"
        )
        response["Access-Control-Expose-Headers"] = "Mcp-Session-Id, WWW-Authenticate"
        response["Access-Control-Max-Age"] = "600"
        response["Vary"] = "Origin"
    return response


def _unauthorised(request, refused: "signin.SignInRefused") -> HttpResponse:
    response = _problem(refused.status, str(refused))
    if refused.status == 401:
        response["WWW-Authenticate"] = signin.challenge(request, invalid=refused.invalid_token)
    return response


def _problem(status: int, text: str) -> JsonResponse:
    return JsonResponse(
        {"jsonrpc": "2.0", "id": None, "error": {"code": -32001, "message": text}}, status=status
    )


def _error_response(message, failure: protocol.ProtocolError, status: int | None = None):
    status = status or protocol.http_status(failure, message)
    request_id = message.id if message is not None else None
    return JsonResponse(protocol.error(request_id, failure), status=status)


def _message_if_readable(request) -> protocol.Message | None:
    """The request's message, to answer a refusal with its id, if it can be read."""
    try:
        return protocol.read(protocol.body_of(request), request.headers)
    except protocol.ProtocolError:
        return None
