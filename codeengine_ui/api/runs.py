"""Runs through the API: submit (one, or a batch), read, wait for, run again; the history
with the page's filters; exports. Runs are started by `runs.services` (`start_run`, and
`new_runs` for a batch), the one way in, with the same checks as the form."""

import time
import uuid
from typing import Any

from django.http import HttpResponse, QueryDict
from ninja import Query, Router, Schema, Status
from pydantic import Field

from codeengine_ui.catalog.models import AccessToken, Function, UsableTokens
from codeengine_ui.catalog.tokens import run_refusal
from codeengine_ui.error_codes import ErrorCode, next_step_for
from codeengine_ui.keyset import newest_first
from codeengine_ui.runs import history
from codeengine_ui.runs.forms import HistoryFilterForm
from codeengine_ui.runs.live import wait_for_news
from codeengine_ui.runs.models import (
    IN_PROGRESS_STATUSES,
    OUTCOME_OF_STATUS,
    Execution,
    ExecutionStatus,
    RunSource,
)
from codeengine_ui.runs.names import names_as_text, names_for
from codeengine_ui.runs.services import (
    InputsDoNotFit,
    RunNotAllowed,
    new_runs,
    queue_runs,
    start_run,
)

from .functions import function_named, inputs_problem
from .limits import ask_again_later, room_for_runs, waiting
from .problems import Problem

router = Router(tags=["runs"])

BATCH_LIMIT = 1000
# Clients that say who they are (the command line) have their runs labelled so.
CLIENT_SOURCES = {"cli": RunSource.CLI}


class RunIn(Schema):
    function: int | str = Field(description="An id, a name, or instance/package/function.")
    inputs: dict[str, Any] = Field(default_factory=dict, description="inputVariables")
    version: str | None = Field(None, description="Another version than the one saved.")
    token: int | None = Field(None, description="A token id; by default the function's.")
    get_logs: bool = True


class BatchIn(Schema):
    function: int | str
    inputs: list[dict[str, Any]] = Field(description="Up to 1,000 sets of inputVariables.")
    version: str | None = None
    token: int | None = None
    get_logs: bool = True


class RunOut(Schema):
    id: int
    url: str
    status: str
    outcome: str | None
    finished: bool
    function: dict
    version: str
    source: str
    api_key: str
    ai_client: str = Field("", description="The name an AI agent's client gave itself.")
    connected_client: str = Field("", description="The OAuth client an AI agent used.")
    batch_id: str | None
    requested_by: str | None
    queued_at: str
    started_at: str | None
    finished_at: str | None
    duration_ms: int | None
    inputs: dict
    input_names: dict[str, list[str]] = Field(
        default={},
        description="The names kept for person, group, DataSet and account inputs: "
        '{"approver": ["Ada Lovelace (481303514)"]}; an id the instance no longer knows '
        'reads "481303514 (no longer resolves)", one not named yet is the id alone.',
    )
    result: Any = None
    stdout: list = []
    stderr: list = []
    error_information: Any = None
    error: dict | None = None
    http_status: int | None = None
    domo_execution_id: str = ""


def run_record(execution: Execution, names: dict) -> dict:
    """The run as the API gives it; `names` (from names_for, with the tokens the reader may
    use) name its person, group, DataSet and account inputs."""
    error = None
    if execution.error_code or execution.error_message:
        code = execution.error_code
        error = {
            "code": code or None,
            "title": ErrorCode(code).title if code in ErrorCode.values else None,
            "message": execution.error_message,
            "next_step": next_step_for(code) or None,
        }
    return {
        "id": execution.pk,
        "url": f"/executions/{execution.pk}/",
        "status": execution.status,
        "outcome": str(OUTCOME_OF_STATUS[execution.status])
        if execution.status in OUTCOME_OF_STATUS
        else None,
        "finished": execution.is_finished,
        "function": {
            "id": execution.function_id,
            "name": execution.function_name,
            "instance": execution.instance_name,
            "package_id": execution.package_id,
        },
        "version": execution.version,
        "source": execution.source,
        "api_key": execution.api_key_name,
        "ai_client": execution.agent_client,
        "connected_client": execution.oauth_client_name,
        "batch_id": str(execution.batch_id) if execution.batch_id else None,
        "requested_by": execution.requested_by.get_username() if execution.requested_by else None,
        "queued_at": execution.queued_at.isoformat(),
        "started_at": _iso(execution.started_at),
        "finished_at": _iso(execution.finished_at),
        "duration_ms": round(execution.duration.total_seconds() * 1000)
        if execution.duration is not None
        else None,
        "inputs": execution.input_variables or {},
        "input_names": names_as_text(execution, names),
        "result": execution.result,
        "stdout": execution.stdout_log or [],
        "stderr": execution.stderr_log or [],
        "error_information": execution.error_information,
        "error": error,
        "http_status": execution.http_status,
        "domo_execution_id": execution.domo_execution_id,
    }


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def _execution(run_id: int) -> Execution:
    execution = (
        Execution.objects.select_related("requested_by", "function").filter(pk=run_id).first()
    )
    if execution is None:
        raise Problem(404, "run_not_found", f"No run has the id {run_id}.")
    return execution


def _token(request, function: Function, token_id: int | None) -> AccessToken:
    if token_id is None:
        token = function.token_for(request.user)
        if token is None:
            raise Problem(
                403,
                ErrorCode.TOKEN_NOT_GRANTED,
                "No token of this instance is granted to you: ask an admin.",
            )
        return token
    token = AccessToken.objects.select_related("instance").filter(pk=token_id).first()
    if token is None or run_refusal(token, request.user) is not None:
        # The same answer whether the token exists or not: an id tells nothing of a token
        # the caller may not use (its name, its state, that it exists).
        raise Problem(
            403,
            ErrorCode.TOKEN_NOT_GRANTED,
            f"You may not use a token with the id {token_id}: leave the token out to use "
            "one granted to you, or ask an admin.",
        )
    return token


def _source(request) -> RunSource:
    return CLIENT_SOURCES.get(request.headers.get("X-Console-Client", ""), RunSource.API)


def _idempotency_key(request) -> uuid.UUID | None:
    """Any text the client chose, as the UUID the run is stored under (per user)."""
    text = request.headers.get("Idempotency-Key", "").strip()
    if not text:
        return None
    if len(text) > 200:
        raise Problem(400, "bad_idempotency_key", "The Idempotency-Key is over 200 characters.")
    return uuid.uuid5(uuid.NAMESPACE_URL, f"codeengine-console:{text}")


def _refused(refusal: RunNotAllowed) -> Problem:
    code = refusal.code or "run_not_allowed"
    return Problem(
        403, str(code), str(refusal), next_step=next_step_for(refusal.code or "") or None
    )


class HistoryQuery(Schema):
    q: str = ""
    function: str = ""
    instance: str = ""
    status: str = ""
    outcome: str = ""
    source: str = ""
    version: str = ""
    user: str = ""
    mine: bool = False
    since: str = ""
    until: str = ""
    batch: str = ""
    cursor: int | None = Field(None, description="The `next_cursor` of the previous page.")
    limit: int = Field(50, ge=1, le=200)


def _filtered(request, query: HistoryQuery):
    data = QueryDict(mutable=True)
    for name in ("q", "status", "outcome", "source", "version", "since", "until", "batch"):
        if getattr(query, name):
            data[name] = getattr(query, name)
    if query.function:
        data["function"] = str(function_named(query.function, request.user).pk)
    if query.instance:
        data["instance"] = query.instance
    if query.user:
        data["user"] = query.user
    if query.mine:
        data["mine"] = "on"
    filters = HistoryFilterForm(data)
    if not filters.is_valid():
        raise Problem(
            422,
            "bad_filter",
            "Some filters are not valid: see errors.",
            errors=[
                {"path": name, "message": str(message)}
                for name, messages in filters.errors.items()
                for message in messages
            ],
        )
    return filters.apply(history.history_queryset(), request.user)


@router.post("/runs", response={201: RunOut}, summary="Start a run")
def submit_run(request, response: HttpResponse, body: RunIn, wait: int = 0):
    """Start a run; with `?wait=N` (up to 60 s) the answer comes when it has finished, or
    when the time is up. A repeated `Idempotency-Key` gives the run made the first time."""
    function = function_named(str(body.function), request.user)
    token = _token(request, function, body.token)
    key = _idempotency_key(request)
    repeated = (
        key is not None
        and Execution.objects.filter(requested_by=request.user, idempotency_key=key).exists()
    )
    version = (body.version or "").strip() or None
    with room_for_runs(request, 0 if repeated else 1):
        execution = _started(request, function, body.inputs, token, version, key, body.get_logs)
    if wait:
        execution = _waited(request, response, execution.pk, wait)
    return Status(201, _record(request, execution))


def _record(request, execution: Execution) -> dict:
    return run_record(execution, names_for([execution], UsableTokens(request.user)))


def _started(request, function, inputs, token, version, key, get_logs) -> Execution:
    """`start_run` for a key's request: its refusals as problem documents."""
    try:
        return start_run(
            function,
            inputs,
            token,
            request.user,
            _source(request),
            version=version,
            idempotency_key=key,
            get_logs=get_logs,
            api_key=request.api_key,
        )
    except RunNotAllowed as refusal:
        raise _refused(refusal) from None
    except InputsDoNotFit as misfit:
        raise inputs_problem(misfit.problems) from None


@router.get("/runs/export.{file_format}", summary="Export the filtered history, streamed")
def export_runs(request, file_format: str, query: Query[HistoryQuery]):
    if file_format not in history.EXPORT_FORMATS:
        raise Problem(404, "unknown_format", "Export as .csv or .jsonl.")
    return history.export_response(
        _filtered(request, query), file_format, UsableTokens(request.user)
    )


@router.get("/runs/{run_id}", response=RunOut, summary="A run; ?wait=N waits for its end")
def get_run(request, response: HttpResponse, run_id: int, wait: int = 0):
    """The run's status, result, logs, errorInformation and our error, with its code and
    what to do next. With `?wait=N` (up to 60 s) the answer comes as soon as it finishes;
    when the key may not wait now, at once, with `Retry-After`."""
    execution = _execution(run_id)
    if wait and not execution.is_finished:
        execution = _waited(request, response, run_id, wait)
    return _record(request, execution)


def _waited(request, response: HttpResponse, run_id: int, seconds: int) -> Execution:
    def state() -> str:
        row = Execution.objects.filter(pk=run_id).values_list("status", flat=True).first()
        return row or "gone"

    with waiting(request, response, seconds) as allowed:
        deadline = time.monotonic() + allowed
        current = state()
        while current in IN_PROGRESS_STATUSES and time.monotonic() < deadline:
            remaining = deadline - time.monotonic()
            current, at_once = wait_for_news(current, state, [run_id], timeout=remaining)
            if not at_once:  # every waiting place of this process is taken
                ask_again_later(response)
                break
    return _execution(run_id)


@router.post("/runs/{run_id}/again", response={201: RunOut}, summary="Run again")
def run_again(request, response: HttpResponse, run_id: int, wait: int = 0):
    """The same function, version and inputs; the same token when still usable."""
    earlier = _execution(run_id)
    if earlier.function_id is None:
        raise Problem(409, "function_deleted", "The function of this run was deleted.")
    function = Function.objects.select_related("instance").get(pk=earlier.function_id)
    usable = AccessToken.objects.usable_by(request.user, function.instance)
    token = usable.filter(pk=earlier.token_id).first() or usable.first()
    if token is None:
        raise Problem(
            403, ErrorCode.TOKEN_NOT_GRANTED, "No token of this instance is granted to you."
        )
    with room_for_runs(request, 1):
        execution = _started(
            request,
            function,
            earlier.input_variables or {},
            token,
            earlier.version,
            _idempotency_key(request),
            earlier.get_logs,
        )
    if wait:
        execution = _waited(request, response, execution.pk, wait)
    return Status(201, _record(request, execution))


@router.post("/batches", response={201: dict}, summary="Start up to 1,000 runs")
def submit_batch(request, body: BatchIn):
    """Each set of inputs becomes a run of the function, all checked first: one that does
    not fit refuses the batch, with its index in the error paths. The runs share a batch
    id to follow them with."""
    if not body.inputs:
        raise Problem(422, "empty_batch", "Send at least one set of inputs.")
    if len(body.inputs) > BATCH_LIMIT:
        raise Problem(
            422, "batch_too_large", f"A batch holds up to {BATCH_LIMIT:,} sets of inputs."
        )
    function = function_named(str(body.function), request.user)
    token = _token(request, function, body.token)
    batch_id = uuid.uuid4()
    version = (body.version or "").strip() or None
    try:
        executions = new_runs(
            function,
            body.inputs,
            token,
            request.user,
            RunSource.BATCH,
            version=version,
            get_logs=body.get_logs,
            api_key=request.api_key,
            batch_id=batch_id,
        )
    except InputsDoNotFit as misfit:
        raise inputs_problem(misfit.problems) from None
    except RunNotAllowed as refusal:
        raise _refused(refusal) from None
    with room_for_runs(request, len(executions)):
        queue_runs(executions)
    ids = [execution.pk for execution in executions]
    return Status(
        201, {"batch_id": str(batch_id), "runs": ids, "url": f"/executions/?batch={batch_id}"}
    )


@router.get("/batches/{batch_id}", response=dict, summary="How a batch is going")
def get_batch(request, batch_id: uuid.UUID):
    runs = list(
        Execution.objects.filter(batch_id=batch_id)
        .order_by("pk")
        .values("pk", "status", "duration")
    )
    if not runs:
        raise Problem(404, "batch_not_found", f"No batch has the id {batch_id}.")
    counts: dict[str, int] = {}
    for run in runs:
        counts[run["status"]] = counts.get(run["status"], 0) + 1
    finished = sum(run["status"] not in IN_PROGRESS_STATUSES for run in runs)
    return {
        "batch_id": str(batch_id),
        "total": len(runs),
        "finished": finished,
        "succeeded": counts.get(ExecutionStatus.SUCCESS, 0),
        "by_status": counts,
        "runs": [{"id": run["pk"], "status": run["status"]} for run in runs],
    }


@router.get("/runs", response=dict, summary="The history, newest first")
def list_runs(request, query: Query[HistoryQuery]):
    """The same filters as the history page; pages continue with `cursor`."""
    page = newest_first(_filtered(request, query), query.cursor, query.limit)
    names = names_for(page.rows, UsableTokens(request.user))
    return {
        "runs": [_history_row(execution, names) for execution in page.rows],
        "next_cursor": page.next_before,
    }


def _history_row(execution: Execution, names: dict) -> dict:
    record = run_record(execution, names)
    for large in ("result", "stdout", "stderr", "error_information"):
        record.pop(large)
    return record
