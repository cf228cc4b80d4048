"""Keeping the history honest and bounded: runs whose worker died are ended as interrupted,
old runs are pruned, and the periodic jobs are queued by the workers."""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.tasks.base import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from codeengine_ui.access.audit import record
from codeengine_ui.access.models import AuditAction
from codeengine_ui.catalog.tasks import check_function_versions, check_tokens
from codeengine_ui.error_codes import ErrorCode

from . import liveness
from .models import (
    IN_PROGRESS_STATUSES,
    BudgetHold,
    Execution,
    ExecutionStatus,
    WorkerHeartbeat,
    story_line,
)
from .names import refresh_directory_names
from .queue import in_database_queue, requeue

logger = logging.getLogger(__name__)

PRUNE_BATCH = 1000
SETTLE_BATCH = 500
INTERRUPTED_MESSAGE = (
    "The worker running this function stopped before it finished (it crashed or was shut "
    "down). Code Engine may still have completed the run."
)


def interrupt(executions, message: str, story: str = "") -> int:
    """End runs as interrupted with `message` (and a line of their story)."""
    count = 0
    for execution in executions:
        line = [story_line(story)] if story else []
        count += execution.record_error(
            message,
            code=ErrorCode.INTERRUPTED,
            status=ExecutionStatus.INTERRUPTED,
            story=[*execution.story, *line],
        )
    return count


def settle_dead_workers(*, batch: int = SETTLE_BATCH) -> int:
    """End what dead workers held (liveness.py judges who is dead): a run whose request was
    sent is interrupted (Code Engine may have run it), a run never sent goes back to the
    queue (the function never ran), and their task rows follow. One worker at a time, at
    most `batch` runs a call (the next call goes on); the dead workers' heartbeats go once
    all they held is settled. Returns the runs interrupted.

    Only workers that beat are judged: a run held by another worker (e.g. `db_worker`,
    which writes no heartbeat) is left alone.
    """
    with transaction.atomic():
        if not (liveness.take_settle_turn() and liveness.database_up_long_enough()):
            return 0
        dead = liveness.dead_workers()
        if not dead:
            return 0
        held = list(
            Execution.objects.filter(status__in=IN_PROGRESS_STATUSES, worker_id__in=dead)
            .select_for_update()
            .order_by("id")[:batch]
        )
        sent = [run for run in held if run.call_sent_at is not None]
        never_sent = [run for run in held if run.call_sent_at is None]
        count = interrupt(sent, INTERRUPTED_MESSAGE, DIED_AFTER_SENDING)
        for run in never_sent:
            requeue(run, run.worker_id, DIED_BEFORE_SENDING)
        if len(held) < batch:  # all they held is settled
            if in_database_queue():
                _end_tasks_of(set(dead))
            BudgetHold.objects.filter(worker_id__in=dead).delete()
            WorkerHeartbeat.objects.filter(worker_id__in=dead).delete()
    return count


DIED_AFTER_SENDING = (
    "Its worker stopped (crashed or killed) after sending the request, so Code Engine may "
    "have run it: marked interrupted."
)
DIED_BEFORE_SENDING = (
    "Its worker stopped (crashed or killed) before sending the request, so Code Engine never "
    "ran it: back in the queue for another worker."
)


class WorkerDied(Exception):
    """Why a task row ended when the worker running it stopped beating."""


def _end_tasks_of(dead_workers: set[str]) -> None:
    """The dead workers' task rows (tasks other than runs, such as the hourly jobs) end as
    failed; read once all their runs are settled, at most what they had in flight."""
    for task_row in DBTaskResult.objects.running().only("id", "worker_ids", "status"):
        if task_row.worker_ids and task_row.worker_ids[-1] in dead_workers:
            task_row.set_failed(WorkerDied(INTERRUPTED_MESSAGE))


def end_queued_runs_without_a_task(*, batch: int = SETTLE_BATCH) -> int:
    """Interrupt runs queued as tasks of the database backend whose task row is gone or
    ended (from before the runs table was the queue): nothing would ever run them. Hourly,
    walking the queued runs a batch at a time by id (an index range each)."""
    if not in_database_queue():
        return 0  # the queue lives elsewhere: its tasks are not ours to judge
    count, after = 0, 0
    queued = Execution.objects.filter(status=ExecutionStatus.QUEUED).exclude(task_id="")
    while chunk := list(queued.filter(pk__gt=after).order_by("pk")[:batch]):
        after = chunk[-1].pk
        alive = set(
            str(task_id)
            for task_id in DBTaskResult.objects.filter(
                id__in=_uuids(e.task_id for e in chunk),
                status__in=(TaskResultStatus.READY, TaskResultStatus.RUNNING),
            ).values_list("id", flat=True)
        )
        count += interrupt([e for e in chunk if e.task_id not in alive], INTERRUPTED_MESSAGE)
    return count


@task
def end_orphaned_queued_runs() -> int:
    return end_queued_runs_without_a_task()


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


# A task row that ended is kept this long (for a look at the queue), then deleted: each run
# keeps its own record, and retries, the hourly jobs, judging and notices leave rows that
# no run points to.
ENDED_TASKS_KEPT = timedelta(days=1)


def prune_ended_task_rows(*, kept: timedelta = ENDED_TASKS_KEPT, batch: int = PRUNE_BATCH) -> int:
    """Delete the queue's rows of tasks that ended more than `kept` ago, a batch per
    statement; rows of tasks waiting or running are never touched."""
    if not in_database_queue():
        return 0
    ended = DBTaskResult.objects.filter(finished_at__lt=timezone.now() - kept).exclude(
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
    )
    deleted = 0
    while ids := list(ended.values_list("id", flat=True)[:batch]):
        deleted += DBTaskResult.objects.filter(id__in=ids).delete()[0]
    return deleted


@task
def prune_ended_tasks() -> int:
    return prune_ended_task_rows()


def queue_periodic_jobs() -> None:
    """Queued by each worker hourly; the jobs skip work done recently, so several workers
    queueing them costs little."""
    check_function_versions.enqueue()
    check_tokens.enqueue()
    refresh_directory_names.enqueue()
    prune_ended_tasks.enqueue()
    end_orphaned_queued_runs.enqueue()
    if settings.EXECUTION_RETENTION_DAYS:
        prune_old_executions.enqueue()
