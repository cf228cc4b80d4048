"""The background task that calls Code Engine for a queued run (`services.start_run`
queues it). Code Engine is called once: a run is never retried automatically.
"""

import logging

import httpx
from django.tasks import TaskContext, task

from codeengine_ui.catalog.encryption import TokenDecryptionError
from codeengine_ui.catalog.tokens import run_refusal
from codeengine_ui.domo.errors import CodeEngineError
from codeengine_ui.error_codes import ErrorCode

from .models import Execution

logger = logging.getLogger(__name__)


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
