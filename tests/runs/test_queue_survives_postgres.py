"""The queue on a PostgreSQL server of the test's own, stopped and started while real worker
processes have runs in flight, and workers killed with SIGKILL: no finished result is thrown
away, and every verdict is true."""

import signal
import socket
import threading
import time

import pytest

from tests.cluster_console import Console
from tests.postgres_cluster import server_binaries

pytestmark = pytest.mark.skipif(
    server_binaries() is None, reason="PostgreSQL's initdb and pg_ctl are not installed"
)


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
