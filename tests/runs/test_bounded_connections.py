"""A PostgreSQL server allowing 20 connections, the web server (two processes of 16
threads) and two workers under a crowd of API calls, long polls and pages: each process
keeps to its pool, a request that finds no connection free is answered 503 with
Retry-After and a sentence, never 500, and every run finishes."""

import socket
import threading
import time
from collections import Counter

import httpx
import pytest

from tests.postgres_cluster import PostgresCluster, server_binaries

pytestmark = pytest.mark.skipif(
    server_binaries() is None, reason="PostgreSQL's initdb and pg_ctl are not installed"
)

RUNS = 300
CROWD = 40


@pytest.fixture
def cluster():
    server = PostgresCluster(max_connections=20)
    yield server
    server.destroy()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_twenty_connections_serve_a_crowd_without_a_500_and_every_run_ends(console):
    port = _free_port()
    console.web(port, DATABASE_POOL_SIZE=3)
    for _ in range(2):
        console.worker(DATABASE_POOL_SIZE=3, RUN_WORKER_DB_CONNECTIONS=3)
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {console.ids['key']}"}

    def healthy() -> bool:
        try:
            return httpx.get(f"{base}/health/", timeout=10).status_code == 200
        except httpx.HTTPError:
            return False

    console.wait(healthy, 60, "the web server and the workers did not start")
    function = console.ids["functions"]["sleepFor"]
    inputs = [{"seconds": round(0.5 + n / 1e6, 6)} for n in range(RUNS)]
    answer = httpx.post(
        f"{base}/api/v1/batches",
        json={"function": function, "inputs": inputs},
        headers=headers,
        timeout=60,
    )
    assert answer.status_code == 201, answer.text
    ids = answer.json()["runs"]

    codes: Counter = Counter()
    without_retry_after = []
    stop = threading.Event()

    def crowd(n: int) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            while not stop.is_set():
                for path in (
                    f"/api/v1/runs/{ids[n % len(ids)]}?wait=5",
                    "/api/v1/runs?limit=50",
                    "/health/",
                ):
                    response = client.get(path)
                    codes[response.status_code] += 1
                    if response.status_code == 503 and "Retry-After" not in response.headers:
                        without_retry_after.append(path)

    threads = [threading.Thread(target=crowd, args=(n,), daemon=True) for n in range(CROWD)]
    for thread in threads:
        thread.start()
    try:
        console.wait(
            lambda: all(r["status"] == "SUCCESS" for r in console.runs(ids).values()),
            180,
            "the runs did not all end",
        )
        time.sleep(3)  # the crowd goes on a little with nothing left to run
    finally:
        stop.set()
        for thread in threads:
            thread.join(70)

    assert len(console.runs(ids)) == RUNS
    assert not [code for code in codes if code >= 500 and code != 503], codes
    assert not without_retry_after
    assert codes[200] > CROWD, codes
    (peak,) = console.rows(
        "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
    )[0]
    assert peak <= 20
