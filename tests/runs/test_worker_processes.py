"""Real worker processes on PostgreSQL, the documented way to grow: several at once, one
killed, and the database refusing connections while runs are in flight. Every run ends,
with a true explanation, and runs exactly once."""

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager

import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction

from codeengine_ui.runs.models import Execution, ExecutionStatus, RunSource
from codeengine_ui.runs.services import start_run
from tests.conftest import save_demo_function

from .conftest import child_process_environment

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="several worker processes share one database on PostgreSQL",
    ),
]

LIMITED_ROLE = "codeengine_test_limited"


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def workers(tmp_path):
    """Starts `run_worker` processes; all are killed at the end."""
    started = []

    def start(*, database_url: str | None = None, **settings) -> subprocess.Popen:
        environment = child_process_environment()
        if database_url:
            environment["DATABASE_URL"] = database_url
        environment.update({name: str(value) for name, value in settings.items()})
        log = (tmp_path / f"worker-{len(started)}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker", "--poll-interval", "0.05"],
            env=environment,
            cwd=django_settings.BASE_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def _queue(function, token, user, inputs_list: list[dict]) -> list[Execution]:
    with transaction.atomic():  # queued together, so the workers compete for them
        return [start_run(function, inputs, token, user, RunSource.BATCH) for inputs in inputs_list]


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} within {timeout} s"
        time.sleep(0.1)


def _all_finished(runs: list[Execution]) -> bool:
    return all(run.is_finished for run in Execution.objects.filter(pk__in=[r.pk for r in runs]))


def test_two_worker_processes_run_each_of_300_runs_exactly_once(
    database_tasks, instance, developer_token, member, emulator, workers
):
    sleeper = save_demo_function(instance, developer_token, "sleepFor")
    before = emulator.server.emulator.stats()
    workers(RUN_WORKER_CONCURRENCY=64)
    workers(RUN_WORKER_CONCURRENCY=64)
    time.sleep(1.0)  # both listening

    # A distinct body for each run: the emulator counts a body it saw before as repeated.
    runs = _queue(
        sleeper, developer_token, member, [{"seconds": 0.2 + i / 1e6} for i in range(300)]
    )
    _wait(lambda: _all_finished(runs), 90, "300 runs did not finish")

    after = emulator.server.emulator.stats()
    assert after["runs_received"] - before["runs_received"] == 300
    assert after["repeated_runs"] == before["repeated_runs"]
    finished = Execution.objects.filter(pk__in=[r.pk for r in runs])
    assert set(finished.values_list("status", flat=True)) == {ExecutionStatus.SUCCESS}
    assert finished.values("worker_id").distinct().count() == 2, "both workers took runs"


def test_a_killed_worker_s_call_ends_within_15_seconds_and_the_queue_goes_on(
    database_tasks, instance, developer_token, member, emulator, workers
):
    instance.concurrency_budget = 1  # one run calls; the others wait in the queue
    instance.save()
    sleeper = save_demo_function(instance, developer_token, "sleepFor")
    received = emulator.server.emulator.runs_received
    doomed = workers()
    runs = _queue(sleeper, developer_token, member, [{"seconds": 20 + i / 1e6} for i in range(3)])
    _wait(lambda: emulator.server.emulator.runs_received > received, 15, "no run was called")

    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait(10)
    killed_at = time.monotonic()
    workers(RUN_WORKER_STALE_SECONDS=10)

    calling = Execution.objects.get(pk__in=[r.pk for r in runs], status=ExecutionStatus.RUNNING)
    _wait(
        lambda: Execution.objects.get(pk=calling.pk).is_finished,
        15,
        "the call of the killed worker was not ended",
    )
    calling.refresh_from_db()
    assert calling.status == ExecutionStatus.INTERRUPTED
    assert "stopped before it finished" in calling.error_message
    assert "after sending the request" in calling.story[0]["text"]
    assert time.monotonic() - killed_at < 15

    # The budget's room freed, the live worker calls the next run.
    _wait(
        lambda: emulator.server.emulator.runs_received == received + 2,
        20,
        "the queue did not go on",
    )


@contextmanager
def _limited_role(database: str):
    """A role whose connections can be refused (superusers ignore CONNECTION LIMIT)."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP ROLE IF EXISTS {LIMITED_ROLE}")
        cursor.execute(f"CREATE ROLE {LIMITED_ROLE} LOGIN")
        cursor.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {LIMITED_ROLE}")
        cursor.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {LIMITED_ROLE}")
        cursor.execute(f"GRANT CONNECT ON DATABASE {database} TO {LIMITED_ROLE}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                [LIMITED_ROLE],
            )
            cursor.execute(f"DROP OWNED BY {LIMITED_ROLE}")
            cursor.execute(f"DROP ROLE IF EXISTS {LIMITED_ROLE}")


def test_runs_in_flight_end_when_the_database_refuses_connections_for_a_while(
    database_tasks, instance, developer_token, member, emulator, workers
):
    sleeper = save_demo_function(instance, developer_token, "sleepFor")
    settings_dict = connection.settings_dict
    database = settings_dict["NAME"]
    with _limited_role(database):
        url = (
            f"postgres://{LIMITED_ROLE}@{settings_dict['HOST']}:{settings_dict['PORT']}/{database}"
        )
        worker = workers(database_url=url)
        received = emulator.server.emulator.runs_received
        runs = _queue(
            sleeper, developer_token, member, [{"seconds": 2 + i / 1e6} for i in range(20)]
        )
        _wait(
            lambda: emulator.server.emulator.runs_received == received + 20,
            15,
            "the runs did not reach Code Engine",
        )

        # Every connection of the worker is cut, and new ones are refused, while the calls
        # finish at Code Engine.
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER ROLE {LIMITED_ROLE} CONNECTION LIMIT 0")
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                [LIMITED_ROLE],
            )
        time.sleep(5)
        assert worker.poll() is None, "the worker gave up"
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER ROLE {LIMITED_ROLE} CONNECTION LIMIT -1")

        _wait(lambda: _all_finished(runs), 60, "the runs did not end")
        finished = Execution.objects.filter(pk__in=[r.pk for r in runs])
        assert set(finished.values_list("status", flat=True)) == {ExecutionStatus.SUCCESS}
        assert set(finished.values_list("result", flat=True)) == {
            f"Slept {2 + i / 1e6:g} seconds" for i in range(20)
        }
        assert emulator.server.emulator.runs_received == received + 20
