"""Runs go through the database queue: a real worker process, and the worker in a thread."""

import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from codeengine_ui.runs.housekeeping import settle_dead_workers
from codeengine_ui.runs.models import Execution, ExecutionStatus, RunSource, WorkerHeartbeat
from codeengine_ui.runs.services import start_run
from codeengine_ui.runs.worker import RunWorker
from tests.conftest import save_demo_function

from .conftest import DATABASE_TASKS, child_process_environment

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = DATABASE_TASKS


def _submit(function, token, user, inputs):
    return start_run(function, inputs, token, user, RunSource.FORM)


def _wait_until_finished(executions, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(e.is_finished for e in Execution.objects.filter(pk__in=[x.pk for x in executions])):
            return
        time.sleep(0.05)
    raise AssertionError("runs did not finish in time")


def _worker_thread(**options) -> tuple[RunWorker, threading.Thread]:
    worker = RunWorker(poll_interval=0.02, **options)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    return worker, thread


@pytest.fixture
def running_worker(database_tasks):
    workers = []

    def start(concurrency=8):
        worker, thread = _worker_thread(concurrency=concurrency)
        workers.append((worker, thread))
        return worker

    yield start
    for worker, thread in workers:
        worker.stop()
        thread.join(15)
        deadline = time.monotonic() + 15
        while worker.runs_in_flight and time.monotonic() < deadline:
            time.sleep(0.05)


def test_run_waits_queued_until_a_worker_process_starts(
    database_tasks, greet, developer_token, member
):
    execution = _submit(greet, developer_token, member, {"name": "Ada"})
    time.sleep(0.3)
    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.QUEUED

    worker = subprocess.Popen(
        [sys.executable, "manage.py", "run_worker", "--poll-interval", "0.05"],
        env=child_process_environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=django_settings.BASE_DIR,
    )
    try:
        _wait_until_finished([execution], timeout=30)
    finally:
        worker.terminate()
        worker.wait(30)

    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.SUCCESS
    assert execution.result == "Hello, Ada."
    assert execution.worker_id


def test_worker_keeps_several_slow_runs_in_flight(
    running_worker, instance, developer_token, member
):
    sleeper = save_demo_function(instance, developer_token, "sleepFor")
    runs = [_submit(sleeper, developer_token, member, {"seconds": 1}) for _ in range(8)]
    started = time.monotonic()

    running_worker(concurrency=8)
    _wait_until_finished(runs)

    assert time.monotonic() - started < 4.5, "8 one-second runs should overlap, not queue"
    assert {e.status for e in Execution.objects.all()} == {ExecutionStatus.SUCCESS}


def test_worker_beats_and_health_reports_it(running_worker, client):
    assert client.get("/health/").status_code == 503

    worker = running_worker()
    deadline = time.monotonic() + 5
    while not WorkerHeartbeat.objects.filter(worker_id=worker.worker_id).exists():
        assert time.monotonic() < deadline
        time.sleep(0.05)

    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json()["worker"]["live_workers"] == 1
    assert response.json()["database"]["ok"] is True


def _heartbeat(worker_id: str, seconds_ago: float) -> None:
    seen = timezone.now() - timedelta(seconds=seconds_ago)
    WorkerHeartbeat.objects.create(
        worker_id=worker_id, hostname="h", pid=1, concurrency=8, started_at=seen, last_seen_at=seen
    )


def test_run_left_by_a_dead_worker_is_marked_interrupted(
    database_tasks, greet, developer_token, member, settings
):
    _heartbeat("worker-that-crashed", settings.RUN_WORKER_STALE_SECONDS + 5)
    execution = _submit(greet, developer_token, member, {"name": "Ada"})
    execution.mark_running("worker-that-crashed")
    Execution.mark_calls_sent([execution], "worker-that-crashed")

    assert settle_dead_workers() == 1

    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.INTERRUPTED
    assert "stopped before it finished" in execution.error_message
    assert not WorkerHeartbeat.objects.filter(worker_id="worker-that-crashed").exists()


def test_runs_of_live_workers_and_of_db_worker_are_left_alone(
    database_tasks, greet, developer_token, member
):
    _heartbeat("live-worker", 1)
    live = _submit(greet, developer_token, member, {"name": "Ada"})
    live.mark_running("live-worker")
    by_db_worker = _submit(greet, developer_token, member, {"name": "Grace"})
    by_db_worker.mark_running("db-worker-without-heartbeat")

    assert settle_dead_workers() == 0

    assert {e.status for e in Execution.objects.all()} == {ExecutionStatus.RUNNING}


def _wait_until_called(emulator, received_before: int) -> None:
    deadline = time.monotonic() + 5
    while emulator.server.emulator.runs_received == received_before:
        assert time.monotonic() < deadline, "the run never reached Code Engine"
        time.sleep(0.02)


def test_stopping_a_worker_marks_its_unfinished_runs_interrupted(
    running_worker, instance, developer_token, member, settings, emulator
):
    settings.RUN_WORKER_GRACE_SECONDS = 0.2
    sleeper = save_demo_function(instance, developer_token, "sleepFor")
    received = emulator.server.emulator.runs_received
    execution = _submit(sleeper, developer_token, member, {"seconds": 2})
    worker = running_worker(concurrency=1)
    _wait_until_called(emulator, received)

    worker.stop()
    deadline = time.monotonic() + 5
    while not Execution.objects.get(pk=execution.pk).is_finished:
        assert time.monotonic() < deadline
        time.sleep(0.05)

    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.INTERRUPTED
    assert "worker was stopped" in execution.error_message


@pytest.fixture
def rate_limit(emulator):
    yield emulator.server.emulator.refuse_runs
    emulator.server.emulator.refuse_runs(0)


def test_a_rate_limited_run_goes_back_to_the_queue_until_it_runs_once(
    running_worker, greet, developer_token, member, emulator, rate_limit
):
    rate_limit(2, retry_after=0)
    received = emulator.server.emulator.runs_received
    execution = _submit(greet, developer_token, member, {"name": "Ada"})

    running_worker()
    _wait_until_finished([execution])

    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.SUCCESS and execution.result == "Hello, Ada."
    assert execution.attempts == 3
    assert (execution.error_code, execution.error_message) == ("", "")
    assert emulator.server.emulator.runs_received == received + 1


def test_a_run_waiting_for_the_rate_limit_says_so_on_its_page(
    running_worker, greet, developer_token, member, member_client, rate_limit
):
    rate_limit(1, retry_after=120)
    execution = _submit(greet, developer_token, member, {"name": "Ada"})

    running_worker()
    deadline = time.monotonic() + 10
    while Execution.objects.get(pk=execution.pk).retry_at is None:
        assert time.monotonic() < deadline, "the run was not sent back to the queue"
        time.sleep(0.05)

    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.QUEUED and execution.attempts == 2
    assert 110 < (execution.retry_at - timezone.now()).total_seconds() <= 120
    html = member_client.get(f"/executions/{execution.pk}/").content.decode()
    assert "Waiting: rate limited" in html
    assert "so the function did not run." in html
    assert "It goes back to the queue: try 2 of 4. Next try at" in html
    assert "Waiting: rate limited" in member_client.get("/executions/").content.decode()


def test_tries_end_with_the_reason_and_their_count(
    running_worker, greet, developer_token, member, emulator, rate_limit, settings
):
    settings.RUN_MAX_ATTEMPTS = 2
    rate_limit(5, retry_after=0)
    received = emulator.server.emulator.runs_received
    execution = _submit(greet, developer_token, member, {"name": "Ada"})

    running_worker()
    _wait_until_finished([execution])

    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.ERROR and execution.error_code == "rate_limited"
    assert execution.error_message.endswith("Tried 2 times; none ran.")
    assert emulator.server.emulator.runs_received == received


def test_an_unreachable_instance_is_tried_again_after_a_growing_pause(
    running_worker, instance, greet, developer_token, member, settings, monkeypatch
):
    monkeypatch.setattr("codeengine_ui.runs.tasks.FIRST_RETRY_PAUSE_SECONDS", 0.1)
    settings.RUN_MAX_ATTEMPTS = 3
    settings.CODEENGINE_ALLOWED_HOSTS = [*settings.CODEENGINE_ALLOWED_HOSTS, "127.0.0.1:9"]
    instance.custom_base_url = "http://127.0.0.1:9"
    instance.save()
    execution = _submit(greet, developer_token, member, {"name": "Ada"})

    running_worker()
    _wait_until_finished([execution])

    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.ERROR and execution.error_code == "unreachable"
    assert execution.attempts == 3
    assert "Could not connect to 127.0.0.1:9" in execution.error_message


def test_a_failure_after_sending_is_never_tried_again(
    running_worker, instance, developer_token, member, emulator
):
    failing = save_demo_function(instance, developer_token, "failWithError")
    received = emulator.server.emulator.runs_received
    execution = _submit(failing, developer_token, member, {"reason": "disk full"})

    running_worker()
    _wait_until_finished([execution])

    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.FAILED and execution.attempts == 1
    assert emulator.server.emulator.runs_received == received + 1


def _stopped(thread: threading.Thread, within: float) -> None:
    thread.join(within)
    assert not thread.is_alive(), f"the worker did not stop within {within} s"


def test_a_stopping_worker_lets_its_runs_in_flight_finish(
    database_tasks, instance, developer_token, member, emulator, settings
):
    settings.RUN_WORKER_GRACE_SECONDS = 30
    sleeper = save_demo_function(instance, developer_token, "sleepFor")
    received = emulator.server.emulator.runs_received
    execution = _submit(sleeper, developer_token, member, {"seconds": 1})
    worker, thread = _worker_thread(concurrency=4)
    _wait_until_called(emulator, received)

    worker.stop()
    _stopped(thread, within=10)

    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.SUCCESS and execution.result == "Slept 1 seconds"


def test_a_second_stop_interrupts_what_is_left_at_once(
    database_tasks, instance, developer_token, member, emulator, settings
):
    settings.RUN_WORKER_GRACE_SECONDS = 60
    sleeper = save_demo_function(instance, developer_token, "sleepFor")
    received = emulator.server.emulator.runs_received
    execution = _submit(sleeper, developer_token, member, {"seconds": 10})
    worker, thread = _worker_thread(concurrency=4)
    _wait_until_called(emulator, received)

    worker.stop()
    time.sleep(0.3)
    worker.stop()
    _stopped(thread, within=5)

    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.INTERRUPTED
    assert "worker was stopped" in execution.error_message


def test_an_instance_budget_leaves_the_other_runs_queued_until_there_is_room(
    database_tasks, instance, developer_token, member, emulator
):
    instance.concurrency_budget = 1
    instance.save()
    sleeper = save_demo_function(instance, developer_token, "sleepFor")
    received = emulator.server.emulator.runs_received
    runs = [_submit(sleeper, developer_token, member, {"seconds": 1}) for _ in range(3)]
    worker, thread = _worker_thread(concurrency=8)
    _wait_until_called(emulator, received)
    statuses = Execution.objects.filter(pk__in=[r.pk for r in runs]).values_list
    assert sorted(statuses("status", flat=True)) == ["queued", "queued", "running"]

    worker.stop()
    _stopped(thread, within=10)
    assert sorted(statuses("status", flat=True)) == ["SUCCESS", "queued", "queued"]

    worker, thread = _worker_thread(concurrency=8)
    try:
        _wait_until_finished(runs)
    finally:
        worker.stop()
        _stopped(thread, within=10)
    assert set(statuses("status", flat=True)) == {ExecutionStatus.SUCCESS}
    started = sorted(statuses("started_at", flat=True))
    finished = sorted(statuses("finished_at", flat=True))
    assert started[1] >= finished[0] and started[2] >= finished[1], "one at a time"
    assert emulator.server.emulator.runs_received == received + 3


def test_a_run_from_the_form_is_claimed_before_a_waiting_batch(
    database_tasks, greet, developer_token, member
):
    batch = [
        start_run(greet, {"name": f"n{i}"}, developer_token, member, RunSource.BATCH)
        for i in range(30)
    ]
    from_the_form = _submit(greet, developer_token, member, {"name": "Ada"})
    worker, thread = _worker_thread(concurrency=1)
    try:
        _wait_until_finished([*batch, from_the_form])
    finally:
        worker.stop()
        _stopped(thread, within=10)

    first = Execution.objects.order_by("started_at").first()
    assert first.pk == from_the_form.pk


def test_a_functions_time_limit_ends_a_hung_call_and_frees_its_slot(
    running_worker, instance, developer_token, member, emulator, member_client
):
    sleeper = save_demo_function(instance, developer_token, "sleepFor")
    sleeper.time_limit_seconds = 1
    sleeper.save()
    hung = _submit(sleeper, developer_token, member, {"seconds": 20})
    after = _submit(sleeper, developer_token, member, {"seconds": 0.1})
    queued_page = member_client.get(f"/executions/{after.pk}/").content.decode()

    running_worker(concurrency=1)
    while Execution.objects.get(pk=hung.pk).status == ExecutionStatus.QUEUED:
        time.sleep(0.05)
    running_page = member_client.get(f"/executions/{hung.pk}/").content.decode()
    _wait_until_finished([hung, after], timeout=10)

    assert "No worker is running: this run starts when one does." in queued_page
    assert "of this function's 1-second time limit" in running_page
    hung.refresh_from_db()
    assert (hung.status, hung.error_code) == (ExecutionStatus.ERROR, "timeout")
    assert "within 1 second." in hung.error_message
    assert "the time limit an admin set for this function (1 s)" in hung.error_message
    assert "Code Engine may still finish the run" in hung.error_message
    assert hung.duration < timedelta(seconds=5)
    assert Execution.objects.get(pk=after.pk).status == ExecutionStatus.SUCCESS
