"""Keeping the history honest and bounded: runs whose worker died are ended as interrupted,
old runs are pruned, and the periodic jobs are queued by the workers."""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.tasks import task, task_backends
from django.tasks.base import TaskResultStatus
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from codeengine_ui.access.audit import record
from codeengine_ui.access.models import AuditAction
from codeengine_ui.catalog.tasks import check_function_versions
from codeengine_ui.error_codes import ErrorCode

from .models import IN_PROGRESS_STATUSES, Execution, ExecutionStatus, WorkerHeartbeat

logger = logging.getLogger(__name__)

PRUNE_BATCH = 1000
INTERRUPTED_MESSAGE = (
    "The worker running this function stopped before it finished (it crashed or was shut "
    "down). Code Engine may still have completed the run."
)


def interrupt(executions, message: str) -> int:
    return sum(
        execution.record_error(
            message, code=ErrorCode.INTERRUPTED, status=ExecutionStatus.INTERRUPTED
        )
        for execution in executions
    )


def mark_orphaned_runs() -> int:
    """End the runs no worker will finish: those a run worker held when its heartbeat
    stopped, and queued runs whose task already ended or died with its worker.

    Only workers that beat are judged: a run held by another worker (e.g. `db_worker`,
    which writes no heartbeat) is left alone.
    """
    stale = timezone.now() - timedelta(seconds=settings.RUN_WORKER_STALE_SECONDS)
    dead_workers = set(
        WorkerHeartbeat.objects.filter(last_seen_at__lt=stale).values_list("worker_id", flat=True)
    )
    count = 0
    if dead_workers:
        count += interrupt(
            Execution.objects.filter(status__in=IN_PROGRESS_STATUSES, worker_id__in=dead_workers),
            INTERRUPTED_MESSAGE,
        )
    count += interrupt(_queued_runs_without_a_future(dead_workers), INTERRUPTED_MESSAGE)
    WorkerHeartbeat.objects.filter(worker_id__in=dead_workers).delete()
    return count


def _queued_runs_without_a_future(dead_workers: set[str]) -> list[Execution]:
    if not isinstance(task_backends["default"], DatabaseBackend):
        return []  # the queue lives elsewhere: its tasks are not ours to judge
    queued = list(Execution.objects.filter(status=ExecutionStatus.QUEUED).exclude(task_id=""))
    if not queued:
        return []
    tasks = {
        str(task.id): task
        for task in DBTaskResult.objects.filter(id__in=_uuids(e.task_id for e in queued))
    }
    stuck = []
    for execution in queued:
        task_result = tasks.get(execution.task_id)
        if (
            task_result is None
            or task_result.status in (TaskResultStatus.FAILED, TaskResultStatus.SUCCESSFUL)
            or (
                task_result.status == TaskResultStatus.RUNNING
                and task_result.worker_ids
                and task_result.worker_ids[-1] in dead_workers
            )
        ):
            stuck.append(execution)
    return stuck


def _uuids(task_ids) -> list[str]:
    """The task ids that can be rows of the database backend (other backends use others)."""
    valid = []
    for task_id in task_ids:
        try:
            valid.append(str(uuid.UUID(task_id)))
        except (TypeError, ValueError):
            continue
    return valid


@dataclass
class PruneReport:
    cutoff: datetime
    executions: int = 0
    task_results: int = 0


def prune_executions(days: int, *, dry_run: bool = False, batch: int = PRUNE_BATCH) -> PruneReport:
    """Delete finished runs queued more than `days` ago, a batch per transaction so no lock
    is held long; runs still queued or running are never touched."""
    report = PruneReport(cutoff=timezone.now() - timedelta(days=days))
    old = Execution.objects.filter(queued_at__lt=report.cutoff).exclude(
        status__in=IN_PROGRESS_STATUSES
    )
    if dry_run:
        report.executions = old.count()
        return report
    while True:
        chunk = list(old.order_by("id").values_list("id", "task_id")[:batch])
        if not chunk:
            if report.executions:
                record(
                    AuditAction.RUNS_PRUNED,
                    f"{report.executions} runs queued before {report.cutoff:%Y-%m-%d %H:%M} UTC",
                    runs=report.executions,
                    older_than_days=days,
                )
            return report
        with transaction.atomic():
            deleted, _ = Execution.objects.filter(id__in=[pk for pk, _ in chunk]).delete()
            finished = DBTaskResult.objects.filter(id__in=_uuids(t for _, t in chunk)).exclude(
                status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
            )
            report.task_results += finished.delete()[0]
        report.executions += deleted


@task
def prune_old_executions() -> int:
    if not settings.EXECUTION_RETENTION_DAYS:
        return 0
    return prune_executions(settings.EXECUTION_RETENTION_DAYS).executions


def queue_periodic_jobs() -> None:
    """Queued by each worker hourly; the jobs skip work done recently, so several workers
    queueing them costs little."""
    check_function_versions.enqueue()
    if settings.EXECUTION_RETENTION_DAYS:
        prune_old_executions.enqueue()
