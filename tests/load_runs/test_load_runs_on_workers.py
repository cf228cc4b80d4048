"""Load runs executed by real workers: a worker process drives one and, killed, leaves it
interrupted (not running forever); a stop from the page ends it at once; and its users
share the instance's budget with the queued runs, which wait rather than go over it."""

import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from codeengine_ui.catalog.models import Instance
from codeengine_ui.load_runs import services
from codeengine_ui.load_runs.models import LoadRun, LoadRunStatus
from codeengine_ui.load_runs.tasks import settle_abandoned_load_runs
from codeengine_ui.runs.housekeeping import settle_dead_workers
from codeengine_ui.runs.models import BudgetHold, Execution, ExecutionStatus, RunSource
from codeengine_ui.runs.queue import why_waiting
from codeengine_ui.runs.services import start_run
from tests.load_runs.conftest import plan
from tests.runs.conftest import DATABASE_TASKS, child_process_environment, running_worker

pytestmark = pytest.mark.django_db(transaction=True)


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} within {timeout} s"
        time.sleep(0.05)


def _load_run(pk: int) -> LoadRun:
    return LoadRun.objects.get(pk=pk)


@pytest.fixture
def worker_process(settings, tmp_path):
    settings.TASKS = DATABASE_TASKS
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_worker", "--poll-interval", "0.05"],
        env=child_process_environment(),
        cwd=django_settings.BASE_DIR,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield process
    if process.poll() is None:
        process.kill()
        process.wait(10)


def test_a_killed_worker_leaves_its_load_run_interrupted_with_what_it_measured(
    worker_process, instance, developer_token, load_member
):
    sleeper = _sleeper(instance, developer_token)
    settings = plan(sleeper, developer_token, total_calls=None, duration_seconds=60)
    load_run = services.start_load_run(settings, load_member)
    _wait(lambda: _load_run(load_run.pk).calls_done > 0, 40, "the worker did not start it")

    os.kill(worker_process.pid, signal.SIGKILL)
    worker_process.wait(10)

    def settled() -> bool:
        settle_dead_workers()  # what a live worker does every few seconds
        settle_abandoned_load_runs()
        return _load_run(load_run.pk).is_finished

    # On PostgreSQL a worker is judged dead once its lock is free and its beat 5 s old.
    _wait(settled, 15, "the load run was not settled")
    ended = _load_run(load_run.pk)
    assert ended.status == LoadRunStatus.INTERRUPTED
    assert "crashed or was killed" in ended.status_message
    assert ended.summary["calls"] >= ended.calls_done > 0
    assert not BudgetHold.objects.exists()


def test_a_stop_from_the_page_ends_it_and_keeps_what_it_measured(
    settings, client, instance, developer_token, load_member
):
    worker = running_worker(settings)
    next(worker)
    try:
        load_run = _a_minute_long_load_run_under_way(instance, developer_token, load_member)
        client.force_login(load_member)

        client.post(reverse("load_runs:stop", args=[load_run.pk]))
        asked = time.monotonic()
        _wait(lambda: _load_run(load_run.pk).is_finished, 5, "it did not stop")

        stopped = _load_run(load_run.pk)
        assert time.monotonic() - asked < 5
        assert stopped.status == LoadRunStatus.STOPPED and stopped.verdict == ""
        assert stopped.summary["calls"] > 0
        page = client.get(reverse("load_runs:load_run", args=[load_run.pk])).content.decode()
        assert "Stopped" in page and "Stopped before the end of its plan." in page
    finally:
        next(worker, None)


def test_its_users_and_the_queued_runs_share_the_budget(
    settings, instance, developer_token, load_member
):
    from tests.conftest import save_demo_function

    Instance.objects.filter(pk=instance.pk).update(concurrency_budget=4)
    instance.refresh_from_db()
    busy = save_demo_function(instance, developer_token, "busyService")
    worker = running_worker(settings)
    next(worker)
    try:
        settings_ = plan(
            busy, developer_token, users=4, total_calls=None, duration_seconds=2,
            inputs={"seconds": 0.1},
        )  # fmt: skip
        load_run = services.start_load_run(settings_, load_member)
        _wait(lambda: _load_run(load_run.pk).active_users == 4, 10, "its users did not start")
        queued = [
            start_run(busy, {"seconds": 0.1}, developer_token, load_member, RunSource.API)
            for _ in range(3)
        ]
        waiting = Execution.objects.get(pk=queued[0].pk)
        assert waiting.status == ExecutionStatus.QUEUED
        assert "at once and all are in use (load run #" in why_waiting(waiting)
        assert "holds 4)" in why_waiting(waiting)

        _wait(lambda: all(Execution.objects.get(pk=r.pk).is_finished for r in queued), 20, "runs")
        ended = _load_run(load_run.pk)
        assert ended.status == LoadRunStatus.FINISHED
        # busyService answers 429 above 4 calls at once: none did, so none went over.
        assert ended.summary["rate_limited"] == 0 and ended.summary["calls"] > 8
        statuses = set(
            Execution.objects.filter(pk__in=[r.pk for r in queued]).values_list("status", flat=True)
        )
        assert statuses == {ExecutionStatus.SUCCESS}
    finally:
        next(worker, None)


def _a_minute_long_load_run_under_way(instance, token, person) -> LoadRun:
    """A load run of sleepFor for a minute, once the worker has made its first calls."""
    settings_ = plan(_sleeper(instance, token), token, total_calls=None, duration_seconds=60)
    load_run = services.start_load_run(settings_, person)
    _wait(lambda: _load_run(load_run.pk).calls_done > 0, 40, "the worker did not start it")
    return load_run


def _sleeper(instance, token):
    from tests.conftest import save_demo_function

    return save_demo_function(instance, token, "sleepFor")


def test_a_stopping_worker_wraps_its_load_run_up_rather_than_hold_the_stop(
    settings, instance, developer_token, load_member
):
    worker = running_worker(settings)
    running = next(worker)
    sleeper = _sleeper(instance, developer_token)
    settings_ = plan(sleeper, developer_token, total_calls=None, duration_seconds=60)
    load_run = services.start_load_run(settings_, load_member)
    _wait(lambda: _load_run(load_run.pk).calls_done > 0, 40, "the worker did not start it")

    asked = time.monotonic()
    next(worker, None)  # SIGTERM's way: stop, and wait for the worker to end

    ended = _load_run(load_run.pk)
    assert not running.runs_in_flight and time.monotonic() - asked < 10
    assert ended.status == LoadRunStatus.INTERRUPTED
    assert "Its worker was stopped (a deploy or a restart)" in ended.status_message
    assert ended.summary["calls"] > 0


def test_a_running_load_run_stops_when_its_person_may_no_longer_start_it(
    settings, instance, developer_token, load_member
):
    from codeengine_ui.access.roles import allow_load_runs

    worker = running_worker(settings)
    next(worker)
    try:
        load_run = _a_minute_long_load_run_under_way(instance, developer_token, load_member)

        allow_load_runs(load_member, False)
        _wait(lambda: _load_run(load_run.pk).is_finished, 10, "it did not stop")

        stopped = _load_run(load_run.pk)
        assert stopped.status == LoadRunStatus.STOPPED
        assert stopped.status_message.startswith("Stopped while running:")
        assert "may not start load runs" in stopped.status_message
        assert stopped.summary["calls"] > 0
    finally:
        next(worker, None)
