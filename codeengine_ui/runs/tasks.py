"""Submitting a run and the background task that calls Code Engine.

The Execution row and its task are written in one transaction, so a run is either fully
queued or not at all; with the database task backend a worker that starts later picks it
up. Code Engine is called once: a run is never retried automatically.
"""

import logging
import uuid
from typing import Any

import httpx
from django.db import IntegrityError, transaction
from django.tasks import TaskContext, task

from codeengine_ui.catalog.encryption import TokenDecryptionError
from codeengine_ui.catalog.models import AccessToken, Function
from codeengine_ui.catalog.tokens import run_refusal
from codeengine_ui.domo.errors import CodeEngineError
from codeengine_ui.error_codes import ErrorCode

from .models import Execution, RunSource

logger = logging.getLogger(__name__)


def submit_run(
    *,
    function: Function,
    token: AccessToken,
    input_variables: dict[str, Any],
    get_logs: bool,
    user,
    idempotency_key: uuid.UUID | None = None,
    version: str | None = None,
    source: str = RunSource.FORM,
    queue: bool = True,
) -> tuple[Execution, bool]:
    """Store a run of `function` and queue its task, in one transaction; (execution,
    created). A repeated idempotency key returns the run created the first time instead of
    a second one. This does no checking: `services.start_run` does, then calls this."""
    if idempotency_key is not None:
        existing = Execution.objects.filter(
            requested_by=user, idempotency_key=idempotency_key
        ).first()
        if existing:
            return existing, False
    try:
        with transaction.atomic():
            execution = Execution.for_run(
                function=function,
                token=token,
                input_variables=input_variables,
                get_logs=get_logs,
                user=user,
                idempotency_key=idempotency_key,
                version=version,
            )
            execution.source = source
            execution.save()
            if queue:
                task_result = run_execution.enqueue(execution.pk)
                Execution.objects.filter(pk=execution.pk).update(task_id=task_result.id)
    except IntegrityError:
        if idempotency_key is None:
            raise
        return Execution.objects.get(requested_by=user, idempotency_key=idempotency_key), False
    execution.refresh_from_db()
    return execution, True


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
    """Call Code Engine for a running execution and store whatever happens. (`transport`
    replaces the network, for the demo's history, made in-process.)"""
    token = execution.token
    try:
        refusal = run_refusal(token, execution.requested_by)
        if refusal is not None:
            execution.record_error(refusal.message, code=refusal.code)
            return
        client = token.client(transport)
        token.record_use(execution.requested_by)
        outcome = client.run_function(
            execution.package_id,
            execution.version,
            execution.function_name,
            execution.input_variables,
            get_logs=execution.get_logs,
        )
    except CodeEngineError as error:
        execution.record_error(str(error), code=error.code, http_status=error.http_status)
    except TokenDecryptionError as error:
        execution.record_error(str(error), code=ErrorCode.TOKEN_UNREADABLE)
    except Exception as error:
        logger.exception("Run %s failed inside the console", execution.pk)
        execution.record_error(
            f"The console failed while running this function ({type(error).__name__}); "
            "the details are in the worker's log.",
            code=ErrorCode.INTERNAL,
        )
    else:
        execution.record_outcome(outcome)
