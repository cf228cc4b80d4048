"""Pruning old runs and ending runs that no worker will finish."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.tasks.base import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from codeengine_ui.runs.housekeeping import (
    end_queued_runs_without_a_task,
    prune_ended_task_rows,
    prune_executions,
    prune_old_executions,
    queue_periodic_jobs,
    settle_dead_workers,
)
from codeengine_ui.runs.models import Execution, ExecutionStatus, RunSource, WorkerHeartbeat
from codeengine_ui.runs.queue import runs_ready
from codeengine_ui.runs.services import start_run
from codeengine_ui.runs.tasks import run_execution
from tests.conftest import stored_run

from .conftest import DATABASE_TASKS


def _run(function, token, user, *, days_old: int, status=ExecutionStatus.SUCCESS):
    queued_at = timezone.now() - timedelta(days=days_old)
    return stored_run(function, token, user, status=status, queued_at=queued_at)


@pytest.fixture
def aged_runs(greet, developer_token, member):
    return {
        "old": [_run(greet, developer_token, member, days_old=40) for _ in range(5)],
        "old_running": _run(
            greet, developer_token, member, days_old=40, status=ExecutionStatus.RUNNING
        ),
        "recent": _run(greet, developer_token, member, days_old=2),
    }


def test_prune_deletes_old_finished_runs_in_batches(aged_runs):
    report = prune_executions(30, batch=2)

    assert report.executions == 5
    assert set(Execution.objects.values_list("pk", flat=True)) == {
        aged_runs["old_running"].pk,
        aged_runs["recent"].pk,
    }


def test_dry_run_only_counts(aged_runs, capsys):
    call_command("prune_executions", "--days", "30", "--dry-run")

    assert "Would delete 5 runs queued before" in capsys.readouterr().out
    assert Execution.objects.count() == 7


def test_retention_comes_from_settings_and_empty_keeps_everything(aged_runs, settings, capsys):
    with pytest.raises(CommandError, match="No retention set"):
        call_command("prune_executions")
    assert prune_old_executions.enqueue().return_value == 0

    settings.EXECUTION_RETENTION_DAYS = 30

    assert prune_old_executions.enqueue().return_value == 5


def _queued_as_a_task(function, token, user) -> Execution:
    """A run queued as a task of the database backend, as runs were before the runs table
    became the queue."""
    execution = stored_run(function, token, user, {"name": "Ada"})
    task_result = run_execution.enqueue(execution.pk)
    Execution.objects.filter(pk=execution.pk).update(task_id=task_result.id)
    execution.refresh_from_db()
    return execution


def test_pruning_removes_the_finished_task_records_too(settings, greet, developer_token, member):
    settings.TASKS = DATABASE_TASKS
    execution = _queued_as_a_task(greet, developer_token, member)
    Execution.objects.filter(pk=execution.pk).update(
        status=ExecutionStatus.SUCCESS, queued_at=timezone.now() - timedelta(days=40)
    )
    DBTaskResult.objects.update(status=TaskResultStatus.SUCCESSFUL)

    report = prune_executions(30)

    assert (report.executions, report.task_results) == (1, 1)
    assert not DBTaskResult.objects.exists()


def test_a_run_queued_in_the_database_has_no_task_row_but_a_place_in_the_queue(
    settings, greet, developer_token, member
):
    settings.TASKS = DATABASE_TASKS
    execution = start_run(greet, {"name": "Ada"}, developer_token, member, RunSource.FORM)

    assert not DBTaskResult.objects.exists()
    assert execution.task_id == "" and execution.queue_turn is not None
    assert list(runs_ready()) == [execution]


def test_queued_run_whose_task_ended_is_marked_interrupted(
    settings, greet, developer_token, member
):
    settings.TASKS = DATABASE_TASKS
    execution = _queued_as_a_task(greet, developer_token, member)
    DBTaskResult.objects.update(status=TaskResultStatus.FAILED)

    assert end_queued_runs_without_a_task() == 1
    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.INTERRUPTED


def _dead_worker(worker_id: str = "gone") -> None:
    seen = timezone.now() - timedelta(minutes=5)
    WorkerHeartbeat.objects.create(
        worker_id=worker_id, hostname="h", pid=1, concurrency=8, started_at=seen, last_seen_at=seen
    )


def test_a_run_claimed_by_a_dead_worker_but_not_sent_goes_back_to_its_place(
    settings, greet, developer_token, member
):
    """The function never ran, so the run is not lost: another worker takes it."""
    settings.TASKS = DATABASE_TASKS
    execution = start_run(greet, {"name": "Ada"}, developer_token, member, RunSource.FORM)
    execution.mark_running("gone")
    _dead_worker()

    assert settle_dead_workers() == 0

    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.QUEUED and execution.worker_id == ""
    assert list(runs_ready()) == [execution]
    assert "before sending the request" in execution.story[0]["text"]


def test_a_dead_workers_sent_run_is_interrupted_and_its_other_tasks_end(
    settings, greet, developer_token, member
):
    settings.TASKS = DATABASE_TASKS
    execution = start_run(greet, {"name": "Ada"}, developer_token, member, RunSource.FORM)
    execution.mark_running("gone")
    Execution.mark_calls_sent([execution], "gone")
    queue_periodic_jobs()
    DBTaskResult.objects.update(status=TaskResultStatus.RUNNING, worker_ids=["gone"])
    _dead_worker()

    assert settle_dead_workers() == 1

    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.INTERRUPTED
    assert "after sending the request" in execution.story[0]["text"]
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {TaskResultStatus.FAILED}


def test_queued_run_waiting_for_a_worker_is_left_alone(settings, greet, developer_token, member):
    settings.TASKS = DATABASE_TASKS
    start_run(greet, {"name": "Ada"}, developer_token, member, RunSource.FORM, get_logs=False)

    assert settle_dead_workers() + end_queued_runs_without_a_task() == 0


def test_rows_of_ended_tasks_no_run_points_to_are_pruned_after_a_day(db, settings):
    """The hourly jobs (and a run's retries, judging and notices) leave task rows behind."""
    settings.TASKS = DATABASE_TASKS
    for _hour in range(3):
        queue_periodic_jobs()
    rows = list(DBTaskResult.objects.order_by("enqueued_at", "id"))
    assert len(rows) >= 12
    waiting, running, recent, *old = rows
    two_days_ago, an_hour_ago = (
        timezone.now() - timedelta(days=2),
        timezone.now() - timedelta(hours=1),
    )
    DBTaskResult.objects.filter(pk=running.pk).update(status=TaskResultStatus.RUNNING)
    DBTaskResult.objects.filter(pk=recent.pk).update(
        status=TaskResultStatus.SUCCESSFUL, finished_at=an_hour_ago
    )
    DBTaskResult.objects.filter(pk__in=[row.pk for row in old]).update(
        status=TaskResultStatus.FAILED, finished_at=two_days_ago
    )
    DBTaskResult.objects.filter(pk=waiting.pk).update(finished_at=two_days_ago)  # still READY

    assert prune_ended_task_rows(batch=2) == len(old)

    assert set(DBTaskResult.objects.values_list("pk", flat=True)) == {
        waiting.pk,
        running.pk,
        recent.pk,
    }
    assert prune_ended_task_rows() == 0


def test_settling_a_dead_worker_reads_only_its_runs_a_bounded_batch_at_a_time(
    settings, greet, developer_token, member, django_assert_max_num_queries
):
    """However many runs wait in the queue, the check reads the dead worker's runs through
    its index, a batch per call, and lets the heartbeat go once all are settled."""
    settings.TASKS = DATABASE_TASKS
    for n in range(30):  # the queue: never read by the check
        start_run(greet, {"name": f"q{n}"}, developer_token, member, RunSource.FORM)
    held = [stored_run(greet, developer_token, member, {"name": f"h{n}"}) for n in range(5)]
    for run in held:
        run.mark_running("gone")
    Execution.mark_calls_sent(held[:3], "gone")
    seen = timezone.now() - timedelta(minutes=5)
    WorkerHeartbeat.objects.create(
        worker_id="gone", hostname="h", pid=1, concurrency=8, started_at=seen, last_seen_at=seen
    )

    with django_assert_max_num_queries(12):
        assert settle_dead_workers(batch=2) == 2
    assert WorkerHeartbeat.objects.filter(worker_id="gone").exists(), "not all settled yet"
    assert settle_dead_workers(batch=2) == 1
    assert settle_dead_workers(batch=2) == 0
    assert not WorkerHeartbeat.objects.filter(worker_id="gone").exists()

    statuses = dict(
        Execution.objects.filter(pk__in=[r.pk for r in held]).values_list("pk", "status")
    )
    assert [statuses[r.pk] for r in held] == ["interrupted"] * 3 + ["queued"] * 2
    assert Execution.objects.filter(status=ExecutionStatus.QUEUED).count() == 32
