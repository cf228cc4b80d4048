"""`tools/call`: a function run as the agent's person, through `start_run` like any other
run, waited for a while; and the follow-up tools. A mistake the agent can correct (inputs,
a read-only key, no token) comes back as a tool error in words, never as a run."""

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.http import QueryDict

from codeengine_ui.catalog.models import Function
from codeengine_ui.error_codes import next_step_for
from codeengine_ui.json_text import deeper_than
from codeengine_ui.keyset import newest_first
from codeengine_ui.parameters.types import inputs_problems
from codeengine_ui.runs import history
from codeengine_ui.runs.explanations import input_problems, result_type_failure
from codeengine_ui.runs.forms import HistoryFilterForm
from codeengine_ui.runs.live import wait_for_news
from codeengine_ui.runs.models import (
    IN_PROGRESS_STATUSES,
    STATUS_EXPLANATIONS,
    Execution,
    ExecutionStatus,
    RunSource,
)
from codeengine_ui.runs.services import RunRefused, start_run

from .tools import GET_RUN, SEARCH_RUNS, tool_name

LOGS_META_KEY = "codeengine/logs"  # params._meta flag: give stdout and stderr too
MAX_TEXT = 20_000  # characters of a result given as text; structuredContent has it whole
SEND_DEPTH = 200  # MCP's message models serialise values nested up to about 250 levels


@dataclass
class Caller:
    """Who calls, as what: the person, the key or connected client, the client's name."""

    user: Any
    functions: Any  # the QuerySet of functions it may use
    may_run: bool
    refusal: str = ""  # why it may not run, in words
    api_key: Any = None
    client_name: str = ""
    oauth_client_name: str = ""
    absolute: Any = None  # path -> absolute URL
    room: Any = None  # context manager factory: room for one more run (limits), or raises
    # Context manager factory: (seconds) -> the seconds it may wait, holding a waiting
    # place of the key and the person (0 when none is free).
    wait_place: Any = None


class ToolError(Exception):
    """A call refused in words the model can act on (isError)."""


def call(caller: Caller, name: str, arguments: dict, meta: dict) -> dict | Execution | None:
    """The tool's result; for a function, the run it started (to be waited for); None for
    a tool that does not exist."""
    if not isinstance(arguments, dict):
        raise ToolError("arguments must be an object of the tool's inputs.")
    if name == GET_RUN:
        return get_run(caller, arguments, meta)
    if name == SEARCH_RUNS:
        return search_runs(caller, arguments)
    function = function_of(caller, name)
    if function is None:
        return None
    return run_function(caller, function, arguments)


def function_of(caller: Caller, name: str) -> Function | None:
    """The function the tool `name` runs, among those the caller may use: the names are
    computed from a few columns, and only the one function is loaded whole."""
    columns = ("pk", "function_name", "instance__name", "version", "package_id")
    rows = caller.functions.values_list(*columns)
    # The name starts with the function's own name: most often it picks the one row.
    named = rows.filter(function_name=name.split("__", 1)[0])
    for pk, function_name, instance_name, version, package_id in named:
        light = Function(function_name=function_name, version=version, package_id=package_id)
        if tool_name(light, instance_name) == name:
            return caller.functions.get(pk=pk)
    for pk, function_name, instance_name, version, package_id in rows:
        light = Function(function_name=function_name, version=version, package_id=package_id)
        if tool_name(light, instance_name) == name:
            return caller.functions.get(pk=pk)
    return None


def run_function(caller: Caller, function: Function, arguments: dict) -> Execution:
    if not caller.may_run:
        raise ToolError(caller.refusal)
    problems = inputs_problems(function.parameters or [], arguments)
    if problems:
        lines = [f"- {path or 'inputs'}: {message}" for path, message in problems]
        raise ToolError(
            "These inputs do not fit the function's definition; nothing was run. Correct "
            "them and call again:\n" + "\n".join(lines)
        )
    token = function.token_for(caller.user)
    if token is None:
        raise ToolError(
            f"No token of the instance {function.instance.name} is granted to you now: ask "
            "an admin of the Code Engine Console."
        )
    return start_function_run(caller, function, arguments, token)


def start_function_run(caller: Caller, function: Function, arguments: dict, token) -> Execution:
    try:
        with caller.room():
            return start_run(
                function,
                arguments,
                token,
                caller.user,
                RunSource.AGENT,
                api_key=caller.api_key,
                agent_client=caller.client_name,
                oauth_client_name=caller.oauth_client_name,
            )
    except RunRefused as refusal:
        raise ToolError(f"The run could not start: {refusal}") from None


def wait_for_end(run_id: int, seconds: float) -> Execution:
    for _state in states_of(run_id, seconds):
        pass
    return Execution.objects.select_related("function", "requested_by").get(pk=run_id)


def states_of(run_id: int, seconds: float) -> Iterator[str]:
    """The run's status now and at each change, until it ends or `seconds` pass."""

    def state() -> str:
        row = Execution.objects.filter(pk=run_id).values_list("status", flat=True).first()
        return row or "gone"

    deadline = time.monotonic() + max(0.0, seconds)
    current = state()
    yield current
    while current in IN_PROGRESS_STATUSES and time.monotonic() < deadline:
        seen = current
        current, at_once = wait_for_news(
            current, state, [run_id], timeout=deadline - time.monotonic()
        )
        if current != seen:
            yield current
        if not at_once:  # every waiting place of this process is taken: answer now
            return


def run_result(
    caller: Caller, execution: Execution, *, logs: bool = False, waited: bool = True
) -> dict:
    """A run as a tool result: the function's answer as structuredContent and text; what
    went wrong in the console's words; the run's permalink."""
    link = caller.absolute(f"/executions/{execution.pk}/")
    run = {
        "id": execution.pk,
        "status": execution.status,
        "url": link,
        "function": execution.function_name,
        "version": execution.version,
        "instance": execution.instance_name,
    }
    if execution.status in IN_PROGRESS_STATUSES:
        text = (
            f"Run {execution.pk} is still {execution.get_status_display().lower()} "
            f"({link}). Call {GET_RUN} with run_id {execution.pk} and wait_seconds to "
            "follow it."
        )
        if not waited:
            text += (
                " This answer did not wait: every waiting place of this key and its "
                "person is in use (API_WAITS_PER_KEY, API_WAITS_PER_USER); wait a few "
                "seconds before asking again."
            )
        return _result(text, {"run": run})
    log_lines = _logs(execution) if logs or execution.status != ExecutionStatus.SUCCESS else ""
    if execution.status == ExecutionStatus.SUCCESS:
        unsendable = why_not_sent(execution.result)
        if unsendable:
            text = (
                f"Run {execution.pk} succeeded, but its result is not sent here: {unsendable}. "
                f"It is on the run's page: {link}{log_lines}"
            )
            return _result(text, {"run": run})
        answer = json.dumps(execution.result, ensure_ascii=False, indent=1)
        if len(answer) > MAX_TEXT:
            answer = answer[:MAX_TEXT] + "\n… (cut; the whole result is in structuredContent)"
        text = f"{answer}\n\nRun {execution.pk} succeeded: {link}{log_lines}"
        return _result(text, {"result": execution.result, "run": run})
    return _result(_failure_text(execution, link) + log_lines, {"run": run}, error=True)


def why_not_sent(value: Any) -> str:
    """Why a value is too much to hand an agent ("" when it is not): nested past what the
    protocol's messages carry, or larger than MCP_RESULT_MAX_BYTES."""
    if deeper_than(value, SEND_DEPTH):
        return f"it nests more than {SEND_DEPTH} levels deep"
    size = len(json.dumps(value, ensure_ascii=False).encode())
    if size > settings.MCP_RESULT_MAX_BYTES:
        return (
            f"it is {size:,} bytes, more than the {settings.MCP_RESULT_MAX_BYTES:,} an agent "
            "is sent (MCP_RESULT_MAX_BYTES)"
        )
    return ""


def _failure_text(execution: Execution, link: str) -> str:
    lines = [
        f"Run {execution.pk} ended as {execution.get_status_display().lower()}: "
        f"{execution.status_explanation or STATUS_EXPLANATIONS.get(execution.status, '')}"
    ]
    if execution.error_message:
        lines.append(execution.error_message)
    failure = result_type_failure(execution)
    if failure is not None:
        lines.append(f"Output {failure.field}: {failure.sentence}")
    for problem in input_problems(execution):
        lines.append(f"Input {problem.path}: {problem.message}")
    info = execution.error_information or {}
    for message in (info.get("errorMessages") or [])[:20]:
        lines.append(f"Domo said: {message}")
    step = next_step_for(execution.error_code or "")
    if step:
        lines.append(f"What to do next: {step}")
    if info:
        lines.append("errorInformation: " + json.dumps(info, ensure_ascii=False)[:MAX_TEXT])
    lines.append(f"The run: {link}")
    return "\n".join(lines)


def _logs(execution: Execution) -> str:
    parts = []
    for title, lines in (("stdout", execution.stdout_log), ("stderr", execution.stderr_log)):
        if lines:
            parts.append(f"\n\n{title}:\n" + "\n".join(str(line) for line in lines)[:MAX_TEXT])
    return "".join(parts)


def _result(text: str, structured: dict, *, error: bool = False) -> dict:
    result = {"content": [{"type": "text", "text": text}], "structuredContent": structured}
    if error:
        result["isError"] = True
    return result


def get_run(caller: Caller, arguments: dict, meta: dict) -> dict:
    run_id = arguments.get("run_id")
    if isinstance(run_id, bool) or not isinstance(run_id, int) or run_id < 1:
        raise ToolError("run_id: give the run's id, a whole number (from a tool's answer).")
    wait = arguments.get("wait_seconds", 0)
    if isinstance(wait, bool) or not isinstance(wait, int | float) or not 0 <= wait <= 60:
        raise ToolError("wait_seconds: a number of seconds from 0 to 60.")
    if not Execution.objects.filter(pk=run_id).exists():
        raise ToolError(f"No run has the id {run_id}.")
    with caller.wait_place(wait) as seconds:
        execution = wait_for_end(run_id, seconds)
    logs = arguments.get("logs") is True or bool(meta.get(LOGS_META_KEY))
    result = run_result(caller, execution, logs=logs, waited=bool(seconds) or not wait)
    inputs = execution.input_variables or {}
    unsendable = why_not_sent(inputs)
    result["structuredContent"]["run"]["inputs"] = {} if unsendable else inputs
    if unsendable:
        result["content"][0]["text"] += f"\n(The inputs are not sent here: {unsendable}.)"
    result["structuredContent"]["run"]["requested_by"] = (
        execution.requested_by.get_username() if execution.requested_by else None
    )
    return result


SEARCH_FILTERS = ("q", "status", "source", "since", "until")


def search_runs(caller: Caller, arguments: dict) -> dict:
    data = QueryDict(mutable=True)
    for name in SEARCH_FILTERS:
        value = arguments.get(name)
        if value not in (None, ""):
            data[name] = str(value)
    if arguments.get("mine") is True:
        data["mine"] = "on"
    functions = None
    if arguments.get("function") not in (None, ""):
        functions = _named(caller, str(arguments["function"]))
    filters = HistoryFilterForm(data)
    if not filters.is_valid():
        lines = [
            f"- {name}: {message}"
            for name, messages in filters.errors.items()
            for message in messages
        ]
        raise ToolError("Some filters are not valid:\n" + "\n".join(lines))
    limit = arguments.get("limit", 20)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 50:
        raise ToolError("limit: a whole number from 1 to 50.")
    runs = filters.apply(history.history_queryset(), caller.user)
    if functions is not None:
        runs = runs.filter(function__in=functions)
    runs = newest_first(runs, None, limit).rows
    rows = [
        {
            "id": run.pk,
            "function": run.function_name,
            "instance": run.instance_name,
            "version": run.version,
            "status": run.status,
            "source": run.source,
            "requested_by": run.requested_by.get_username() if run.requested_by else None,
            "queued_at": run.queued_at.isoformat(),
            "url": caller.absolute(f"/executions/{run.pk}/"),
        }
        for run in runs
    ]
    lines = [
        f"#{row['id']} {row['function']} {row['version']} on {row['instance']}: {row['status']}"
        f" ({row['requested_by'] or 'nobody'}, {row['queued_at']})"
        for row in rows
    ]
    text = "\n".join(lines) if lines else "No run matches."
    return _result(text, {"runs": rows})


def _named(caller: Caller, text: str) -> list[Function]:
    """The functions, among those the caller may use, that `text` names: a tool's name,
    an id, `instance/package/function`, or a name (every saved version of it)."""
    text = text.strip()
    functions = caller.functions
    if text.isascii() and text.isdigit():
        found = list(functions.filter(pk=int(text)))
    elif text.count("/") == 2:
        instance, package, name = text.split("/")
        found = list(
            functions.filter(
                instance__name__iexact=instance, package_id=package, function_name=name
            )
        )
    else:
        tool = function_of(caller, text)
        found = (
            [tool]
            if tool
            else list(
                functions.filter(Q(function_name__iexact=text) | Q(display_name__iexact=text))
            )
        )
    if not found:
        raise ToolError(
            f"No function you may use is named {text!r}: give a tool's name, an id, or "
            "instance/package/function."
        )
    return found
