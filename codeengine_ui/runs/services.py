"""Starting a run: the one way in, for the run form, Run again, the demo history, the API
and suites; `new_runs` and `queue_runs` do the same for a batch, in a few statements.

`start_run` checks that the user may run functions and may use the token now, checks the
inputs against the function's definition with the same rules as the form, and queues the
run; or raises one of the errors below, each saying why. The run and its task are written
in one transaction, so a run is either fully queued or not at all; with the database task
backend a worker that starts later picks it up.
"""

import uuid
from typing import Any

from django.db import IntegrityError, transaction

from codeengine_ui.access.roles import Role, role_of
from codeengine_ui.catalog.models import AccessToken, Function
from codeengine_ui.catalog.tokens import run_refusal
from codeengine_ui.error_codes import ErrorCode
from codeengine_ui.parameters.types import inputs_problems

from .models import Execution, RunSource
from .tasks import queue_task, store_and_queue


class RunRefused(Exception):
    """A run that was not started; `str()` says why, in a sentence."""


class RunNotAllowed(RunRefused):
    """The user may not run functions, or not with this token (a 403 for a page)."""

    def __init__(self, message: str, code: ErrorCode | None = None):
        super().__init__(message)
        self.code = code


class InputsDoNotFit(RunRefused):
    """The inputs do not fit the function's definition; `problems` are (path, message)."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("These inputs do not fit the function's definition.")
        self.problems = problems


def start_run(
    function: Function,
    inputs: dict[str, Any],
    token: AccessToken,
    user,
    source: RunSource,
    *,
    version: str | None = None,
    idempotency_key: uuid.UUID | None = None,
    get_logs: bool = True,
    queue: bool = True,
    api_key=None,
    batch_id: uuid.UUID | None = None,
    agent_client: str = "",
    oauth_client_name: str = "",
) -> Execution:
    """Queue a run of `function` (at `version`, by default the one it pins) with `inputs`
    as `user`, with `token`. A repeated idempotency key gives the run made the first time.
    With `queue=False` the run is stored as queued for the caller to run itself (the
    demo's history, run in-process)."""
    _check_may_run(function, token, user)
    problems = inputs_problems(function.parameters, inputs)
    if problems:
        raise InputsDoNotFit(problems)
    execution = _new_run(
        function,
        inputs,
        token,
        user,
        source,
        version=version,
        get_logs=get_logs,
        api_key=api_key,
        batch_id=batch_id,
        idempotency_key=idempotency_key,
        agent_client=agent_client,
        oauth_client_name=oauth_client_name,
    )
    return _store_and_queue(execution, queue=queue)


def new_runs(
    function: Function,
    inputs_list: list[dict[str, Any]],
    token: AccessToken,
    user,
    source: RunSource,
    *,
    version: str | None = None,
    get_logs: bool = True,
    api_key=None,
    batch_id: uuid.UUID | None = None,
) -> list[Execution]:
    """One run of `function` per set of inputs, checked as `start_run` checks, not yet
    stored (`queue_runs` stores them): inputs that do not fit refuse them all, each
    problem's path led by its set's index."""
    _check_may_run(function, token, user)
    problems = [
        (f"[{index}].{path}", message)
        for index, inputs in enumerate(inputs_list)
        for path, message in inputs_problems(function.parameters, inputs)
    ]
    if problems:
        raise InputsDoNotFit(problems)
    options = {"version": version, "get_logs": get_logs, "api_key": api_key, "batch_id": batch_id}
    return [_new_run(function, inputs, token, user, source, **options) for inputs in inputs_list]


def queue_runs(executions: list[Execution]) -> None:
    """Store and queue `new_runs`' runs, all in one transaction."""
    with transaction.atomic():
        store_and_queue(executions)


def _check_may_run(function: Function, token: AccessToken, user) -> None:
    if role_of(user) < Role.MEMBER:
        raise RunNotAllowed("Running functions needs the member role.", ErrorCode.ROLE_REVOKED)
    if token.instance_id != function.instance_id:
        raise RunNotAllowed("This token belongs to another instance than the function.")
    refusal = run_refusal(token, user)
    if refusal is not None:
        raise RunNotAllowed(refusal.message, refusal.code)


def _new_run(
    function: Function,
    inputs: dict[str, Any],
    token: AccessToken,
    user,
    source: RunSource,
    *,
    version: str | None,
    get_logs: bool,
    api_key,
    batch_id: uuid.UUID | None,
    idempotency_key: uuid.UUID | None = None,
    agent_client: str = "",
    oauth_client_name: str = "",
) -> Execution:
    """A new, unsaved run, with who and what started it."""
    execution = Execution.for_run(
        function=function,
        token=token,
        input_variables=inputs,
        get_logs=get_logs,
        user=user,
        idempotency_key=idempotency_key,
        version=version,
        source=source,
    )
    if api_key is not None:
        execution.api_key, execution.api_key_name = api_key, api_key.name
    execution.batch_id = batch_id
    execution.agent_client = agent_client[:200]
    execution.oauth_client_name = oauth_client_name[:200]
    return execution


def _store_and_queue(execution: Execution, *, queue: bool) -> Execution:
    """Store the run and queue its task in one transaction. A repeated idempotency key
    gives the run stored the first time instead of a second one."""
    key, user = execution.idempotency_key, execution.requested_by
    if key is not None:
        existing = Execution.objects.filter(requested_by=user, idempotency_key=key).first()
        if existing:
            return existing
    try:
        with transaction.atomic():
            execution.save()
            if queue:
                queue_task(execution)
    except IntegrityError:
        if key is None:
            raise
        return Execution.objects.get(requested_by=user, idempotency_key=key)
    execution.refresh_from_db()
    return execution
