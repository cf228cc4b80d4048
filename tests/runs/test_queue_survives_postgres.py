"""The queue on a PostgreSQL server of the test's own, stopped and started while real worker
processes have runs in flight, and workers killed with SIGKILL: no finished result is thrown
away, and every verdict is true."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import psycopg
import pytest
from django.conf import settings as django_settings

from tests.postgres_cluster import PostgresCluster, server_binaries

from .conftest import child_process_environment

pytestmark = pytest.mark.skipif(
    server_binaries() is None, reason="PostgreSQL's initdb and pg_ctl are not installed"
)


@pytest.fixture
def cluster():
    server = PostgresCluster()
    yield server
    server.destroy()


class Console:
    """The console's code and workers on `cluster`, calling Code Engine at `base_url`."""

    def __init__(self, cluster: PostgresCluster, base_url: str, log_folder):
        self.cluster, self.log_folder = cluster, log_folder
        host = base_url.split("://", 1)[1]
        self.environment = {
            **child_process_environment(),
            "DATABASE_URL": cluster.url(),
            "CODEENGINE_ALLOWED_HOSTS": f"{os.environ['CODEENGINE_ALLOWED_HOSTS']},{host}",
        }
        self.processes: list[subprocess.Popen] = []
        self.ids = self._console("setup", base_url)

    def _console(self, *arguments: str):
        done = subprocess.run(
            [sys.executable, "-m", "tests.cluster_console", *arguments],
            env=self.environment,
            cwd=django_settings.BASE_DIR,
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(done.stdout.strip().splitlines()[-1])

    def queue(self, count: int, seconds: float) -> list[int]:
        return self._console(
            "queue", str(self.ids["functions"]["sleepFor"]), str(count), str(seconds)
        )

    def worker(self, **settings) -> subprocess.Popen:
        environment = {**self.environment, **{k: str(v) for k, v in settings.items()}}
        log = (self.log_folder / f"worker-{len(self.processes)}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker", "--poll-interval", "0.05"],
            env=environment,
            cwd=django_settings.BASE_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        return process

    def rows(self, sql: str, *parameters) -> list[tuple]:
        with psycopg.connect(self.cluster.url(), connect_timeout=5) as connection:
            return connection.execute(sql, parameters).fetchall()

    def runs(self, ids: list[int]) -> dict[int, dict]:
        columns = ("status", "worker_id", "call_sent_at", "story", "result", "error_message")
        rows = self.rows(
            f"SELECT id, {', '.join(columns)} FROM runs_execution WHERE id = ANY(%s)",  # noqa: S608
            ids,
        )
        return {row[0]: dict(zip(columns, row[1:], strict=True)) for row in rows}

    def wait(self, condition, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if condition():
                    return
            except psycopg.OperationalError:
                pass  # the server is starting
            if time.monotonic() > deadline:
                logs = "\n".join(p.read_text()[-2000:] for p in self.log_folder.glob("*.log"))
                pytest.fail(f"{what} within {timeout} s\n{logs}")
            time.sleep(0.1)

    def live_workers(self) -> int:
        return self.rows("SELECT count(*) FROM runs_workerheartbeat")[0][0]

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait(10)


@pytest.fixture
def console(cluster, emulator, tmp_path):
    console = Console(cluster, emulator.url, tmp_path)
    yield console
    console.stop()


def test_results_that_came_back_during_a_database_outage_are_all_kept(console, cluster, emulator):
    """Two workers, runs in flight, the server stopped for twice the stale time: the first
    worker back must not condemn the other, whose answers from Code Engine all count."""
    RUNS = 200
    for _ in range(2):
        console.worker(RUN_WORKER_STALE_SECONDS=3)
    console.wait(lambda: console.live_workers() == 2, 30, "the workers did not start")
    before = emulator.server.emulator.stats()
    ids = console.queue(RUNS, 3)
    console.wait(
        lambda: [r["status"] for r in console.runs(ids).values()] == ["running"] * RUNS,
        20,
        "the runs did not all start",
    )
    assert len({r["worker_id"] for r in console.runs(ids).values()}) == 2, "both hold runs"

    cluster.stop()
    time.sleep(6)
    cluster.start()

    console.wait(
        lambda: all(r["status"] not in ("queued", "running") for r in console.runs(ids).values()),
        60,
        "the runs did not end",
    )
    runs = console.runs(ids)
    assert {r["status"] for r in runs.values()} == {"SUCCESS"}, {
        r["status"]: r["error_message"] for r in runs.values()
    }
    assert sorted(r["result"] for r in runs.values()) == sorted(
        f"Slept {round(3 + n / 1e6, 6):g} seconds" for n in range(RUNS)
    )
    after = emulator.server.emulator.stats()
    assert after["runs_received"] - before["runs_received"] == RUNS
    assert after["repeated_runs"] == before["repeated_runs"]
    assert {p.poll() for p in console.processes} == {None}, "both workers lived on"


@pytest.fixture
def black_hole():
    """An address that accepts connections and never answers: a TLS handshake with it
    waits, so a run's request is never written."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(100)
    held = []

    def accept():
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"https://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()
    for connection in held:
        connection.close()


@pytest.fixture
def silent_console(cluster, black_hole, tmp_path):
    console = Console(cluster, black_hole, tmp_path)
    yield console
    console.stop()


def test_runs_a_killed_worker_never_sent_go_back_to_the_queue_before_the_next_claims(
    silent_console,
):
    """Killed while its connections were still opening: Code Engine never had the runs,
    so they are not "interrupted" but queued again, settled by the next worker to start
    (the last one was killed) before it claims anything."""
    console = silent_console
    doomed = console.worker()
    console.wait(lambda: console.live_workers() == 1, 30, "the worker did not start")
    ids = console.queue(5, 1)
    console.wait(
        lambda: [r["status"] for r in console.runs(ids).values()] == ["running"] * 5,
        20,
        "the runs did not start",
    )
    assert {r["call_sent_at"] for r in console.runs(ids).values()} == {None}

    doomed.send_signal(signal.SIGKILL)
    doomed.wait(10)
    (doomed_id,) = {r["worker_id"] for r in console.runs(ids).values()}
    console.worker()

    def taken_by_the_next_worker():
        owners = {r["worker_id"] for r in console.runs(ids).values()}
        return owners.isdisjoint({doomed_id, ""})

    console.wait(taken_by_the_next_worker, 20, "the runs were not settled and claimed again")
    runs = console.runs(ids).values()
    assert {r["status"] for r in runs} == {"running"}
    for run in runs:
        assert [line["text"] for line in run["story"]] == [
            "Its worker stopped (crashed or killed) before sending the request, so Code Engine "
            "never ran it: back in the queue for another worker."
        ]
    assert console.rows("SELECT count(*) FROM runs_workerheartbeat")[0][0] == 1
