"""The background task that calls Code Engine for a queued run (`services.start_run`
queues it). A run is tried again only when Code Engine certainly did not run it (it
answered 429, or no connection was made): it goes back to the queue until Retry-After,
up to RUN_MAX_ATTEMPTS tries. Nothing else is ever retried.
"""

import logging
import time
import traceback
from datetime import timedelta

import httpx
from django.conf import settings
from django.db import connection
from django.tasks import TaskContext, task
from django.utils import timezone

from codeengine_ui.catalog.encryption import TokenDecryptionError
from codeengine_ui.catalog.tokens import run_refusal
from codeengine_ui.domo.client import CodeEngineClient, FunctionExecution, HttpPool
from codeengine_ui.domo.errors import CodeEngineError
from codeengine_ui.error_codes import ErrorCode

from .models import Execution, RunSource
from .queue import enqueue, hold_back_instance, in_database_queue, place

logger = logging.getLogger(__name__)


# Workers on PostgreSQL LISTEN on this channel: a run queued wakes them at once.
RUN_QUEUED_CHANNEL = "codeengine_run_queued"
# A token's use by one user is noted at most once a minute (AccessToken.record_use).
USE_NOTED_SECONDS = 60.0
# Pauses before the next try when Code Engine gives no Retry-After: 5, 10, 20... seconds;
# a Retry-After longer than the last is shortened to it.
FIRST_RETRY_PAUSE_SECONDS = 5.0
LONGEST_RETRY_PAUSE_SECONDS = 300.0


def queue_task(execution: Execution, *, run_after=None) -> None:
    """Queue a stored run (inside the caller's transaction) and wake the workers when the
    transaction commits. On the database backend the run itself is the queue's entry
    (queue.py); on another backend a task runs it. A run tried again later waits until
    `run_after` (its `retry_at`)."""
    if in_database_queue():
        enqueue(execution)
    else:
        _queue_as_task(execution, run_after)
    _wake_workers()


def _queue_as_task(execution: Execution, run_after=None) -> None:
    options = {"priority": RunSource(execution.source).priority}
    if run_after is not None:
        options["run_after"] = run_after
    task_result = run_execution.using(**options).enqueue(execution.pk)
    Execution.objects.filter(pk=execution.pk).update(task_id=task_result.id)
    execution.task_id = task_result.id


def _wake_workers() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"NOTIFY {RUN_QUEUED_CHANNEL}")  # delivered on commit


def store_and_queue(executions: list[Execution]) -> None:
    """Store new runs and queue them (inside the caller's transaction): in a few
    statements however many there are, and one wake-up for the workers."""
    if in_database_queue():
        place(executions)
        Execution.objects.bulk_create(executions)
    else:
        Execution.objects.bulk_create(executions)
        for execution in executions:
            _queue_as_task(execution)
    _wake_workers()


@task(takes_context=True)
def run_execution(context: TaskContext, execution_id: int) -> str:
    worker_ids = context.task_result.worker_ids
    execution = (
        Execution.objects.select_related("token__instance", "requested_by")
        .filter(pk=execution_id)
        .first()
    )
    if execution is None:
        return "missing"
    if not execution.mark_running(worker_ids[-1] if worker_ids else ""):
        return "already started"
    call_code_engine(execution)
    return execution.status


def call_code_engine(execution: Execution, transport: httpx.AsyncBaseTransport | None = None):
    """Call Code Engine for a running execution and store whatever happens (`db_worker`
    and the demo's history, whose `transport` replaces the network, in-process). The run
    worker does the same in three steps, awaiting the call: `start_call`, the call,
    `finish_call`."""
    client = start_call(execution, transport=transport)
    if client is None:
        return
    try:
        outcome = client.run_function(
            execution.package_id,
            execution.version,
            execution.function_name,
            execution.input_variables,
            get_logs=execution.get_logs,
            timeout=time_limit(execution),
        )
    except Exception as error:
        finish_call(execution, None, error)
    else:
        finish_call(execution, outcome, None)


def time_limit(execution: Execution) -> float | None:
    """The function's own time limit, where an admin set one (None: the client's)."""
    function = execution.function
    return function.time_limit_seconds if function is not None else None


def start_call(
    execution: Execution, *, transport: httpx.AsyncBaseTransport | None = None
) -> CodeEngineClient | None:
    """The client for a running execution's call, or None when the run was ended instead
    (the token may not be used now, cannot be read, or the call cannot be made)."""
    return CallStarts(transport=transport).start(execution)


class CallStarts:
    """Starts the calls of running executions, many at a time (the run worker starts a
    claimed batch at once): whether a user may run with a token is decided, the token
    decrypted and its use noted once per batch for each token and user. `uses_noted`, kept
    from batch to batch by a worker, spares noting a use again within the minute."""

    def __init__(
        self,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        http: HttpPool | None = None,
        uses_noted: dict | None = None,
    ):
        self._transport, self._http = transport, http
        self._uses_noted = {} if uses_noted is None else uses_noted
        self._refusals: dict = {}
        self._clients: dict = {}

    def start(self, execution: Execution) -> CodeEngineClient | None:
        token, user = execution.token, execution.requested_by
        pair = (execution.token_id, execution.requested_by_id)
        if pair not in self._refusals:
            self._refusals[pair] = run_refusal(token, user)
            if self._refusals[pair] is None:
                self._note_use(pair, token, user)
        refusal = self._refusals[pair]
        if refusal is not None:
            execution.record_error(refusal.message, code=refusal.code)
            return None
        if token.pk not in self._clients:
            try:
                self._clients[token.pk] = token.client(self._transport, http=self._http)
            except (CodeEngineError, TokenDecryptionError) as error:
                self._clients[token.pk] = error
        client = self._clients[token.pk]
        if isinstance(client, Exception):
            finish_call(execution, None, client)
            return None
        return client

    def _note_use(self, pair: tuple, token, user) -> None:
        now = time.monotonic()
        if now - self._uses_noted.get(pair, -USE_NOTED_SECONDS) >= USE_NOTED_SECONDS:
            token.record_use(user)
            self._uses_noted[pair] = now


def finish_call(
    execution: Execution, outcome: FunctionExecution | None, error: BaseException | None
) -> None:
    """Store what the call brought back, or why it brought nothing; a try Code Engine did
    not run goes back to the queue while tries remain."""
    if error is None:
        execution.record_outcome(outcome)
    elif isinstance(error, CodeEngineError) and error.may_try_again:
        if execution.attempts < settings.RUN_MAX_ATTEMPTS:
            _try_again_later(execution, error)
        else:
            execution.record_error(
                f"{error} Tried {execution.attempts} times; none ran.",
                code=error.code,
                http_status=error.http_status,
            )
    elif isinstance(error, CodeEngineError):
        message = str(error)
        if error.code == ErrorCode.TIMEOUT and time_limit(execution):
            message += (
                f" That is the time limit an admin set for this function"
                f" ({time_limit(execution):,} s); Code Engine may still finish the run,"
                " and its answer is not kept."
            )
        execution.record_error(message, code=error.code, http_status=error.http_status)
    elif isinstance(error, TokenDecryptionError):
        execution.record_error(str(error), code=error.code)
    else:
        logger.error(
            "Run %s failed inside the console:\n%s",
            execution.pk,
            "".join(traceback.format_exception(error)),
        )
        execution.record_error(
            f"The console failed while running this function ({type(error).__name__}); "
            "the details are in the worker's log.",
            code=ErrorCode.INTERNAL,
        )


def _try_again_later(execution: Execution, error: CodeEngineError) -> None:
    pause = getattr(error, "retry_after", None)
    if pause is None:
        pause = FIRST_RETRY_PAUSE_SECONDS * 2 ** (execution.attempts - 1)
    retry_at = timezone.now() + timedelta(seconds=min(pause, LONGEST_RETRY_PAUSE_SECONDS))
    if error.http_status == 429:  # the instance is busy for every worker, not only this run
        hold_back_instance(execution.instance_id, retry_at)
    tried = execution.attempts
    message = f"{error} It goes back to the queue: try {tried + 1} of {settings.RUN_MAX_ATTEMPTS}."
    if execution.wait_to_retry(error.code, message, retry_at):
        queue_task(execution, run_after=retry_at)
