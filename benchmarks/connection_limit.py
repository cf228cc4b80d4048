"""The whole stack on a PostgreSQL server allowing 20 connections, with real processes: the
web server as the Procfile starts it (gunicorn, 2 processes of 16 threads), 4
`manage.py run_worker` processes, 1,000 runs of 5 s submitted in one API batch, and 40 people
polling the API at once (each with a key of their own, each looping over a run's
`?wait=5`, the history's first 50 rows and /health/, as fast as they are answered).

  max_connections_20_http_500           500 answers to every client, the submitting one
                                        included (responses; 0 expected)
  max_connections_20_runs_unfinished    runs of the batch not ended within 600 s, or never
                                        stored (runs; 0 expected)
  max_connections_20_http_503           503 answers, for information: with Retry-After it
                                        is the designed answer when no connection is free
                                        (/health/ says 503 without it when it could not
                                        read the database) (responses)

The settings a server of 20 connections calls for (those the README should recommend):

  web processes   DATABASE_POOL_SIZE=2         2 x (2 pooled + 1 LISTEN for live pages) =  6
  workers         RUN_WORKER_DB_CONNECTIONS=1  4 x (1 + 1 heartbeat + 1 session)        = 12
  this script     one connection, open throughout, to follow the runs                  =  1
                                                                                         ---
                                                                                          19

which leaves one for a `manage.py` command. A worker needs RUN_WORKER_DB_CONNECTIONS + 2,
so with four of them RUN_WORKER_DB_CONNECTIONS=2 (16 connections) leaves 4 for two web
processes, which need at least 2 x (1 + 1): no room for anything else. The benchmark
connects as PostgreSQL's superuser, who may use all 20; a role without that right gets
max_connections - superuser_reserved_connections (3 by default), 17 here, where the web
processes would need DATABASE_POOL_SIZE=1.

Every answer's status is counted; a client that got no answer counts as such (on stderr
with the other counts, the most connections seen in pg_stat_activity and the runs that did
not succeed). The web server's output is in var/bench-web.log, the workers' in
var/bench-worker-*.log.

Needs PostgreSQL's server programs (initdb, pg_ctl); without them, says so and prints
nothing.
"""

import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
from run_capacity import ROOT, VAR, Workers, start_stack
from shared import figure

sys.path.insert(0, str(ROOT))

from tests.postgres_cluster import PostgresCluster, _free_port, server_binaries

MAX_CONNECTIONS = 20
WEB_POOL_SIZE = 2
WORKERS = 4
WORKER_DB_CONNECTIONS = 1
RUNS = 1000
RUN_SECONDS = 5
CROWD = 40
DEADLINE_SECONDS = 600
# The crowd goes on this long after the last run ended, with nothing left to run.
AFTER_SECONDS = 3


class Web:
    """The web line of the Procfile, on `port`, without --reload (a deployment's server
    does not reload): its output in var/bench-web.log."""

    def __init__(self, environment: dict, port: int):
        line = next(
            line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:")
        )
        words = shlex.split(line.removeprefix("web:").replace("$PORT", str(port)))
        words = [word for word in words if word != "--reload"]
        words[0] = str(Path(sys.executable).parent / words[0])
        self.log = (VAR / "bench-web.log").open("w")
        self.process = subprocess.Popen(
            words, cwd=ROOT, env=environment, stdout=self.log, stderr=subprocess.STDOUT
        )

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self.log.close()


class Answers:
    """Every answer's status, by kind of request, from every client."""

    def __init__(self):
        self._lock = threading.Lock()
        self.codes: Counter = Counter()
        self.by_path: Counter = Counter()  # (kind, status, with Retry-After)

    def count(self, kind: str, response: httpx.Response | None, error: str = "") -> None:
        with self._lock:
            if response is None:
                self.codes[f"no answer ({error})"] += 1
                return
            self.codes[response.status_code] += 1
            self.by_path[kind, response.status_code, "Retry-After" in response.headers] += 1


def people(count: int):
    """`count` members, each with an API key of their own: (user, key text)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from codeengine_ui.access.models import ApiKey, ApiKeyScope

    member = Group.objects.get(name="member")
    made = []
    for n in range(count):
        user = get_user_model().objects.create_user(f"bench-crowd-{n}")
        user.groups.add(member)
        made.append((user, ApiKey.issue(user, "bench", ApiKeyScope.RUN)[1]))
    return made


def client(base: str, key: str) -> httpx.Client:
    # Behind the deployment's proxy, which says the request came over HTTPS.
    headers = {"Authorization": f"Bearer {key}", "X-Forwarded-Proto": "https"}
    return httpx.Client(base_url=base, headers=headers, timeout=60)


def submit(base: str, key: str, function_id: int, answers: Answers, deadline: float) -> list:
    """The batch, sent again after the Retry-After of a 429 or a 503 (a refused batch
    stores nothing) until it is taken: the ids of its runs, or [] past the deadline."""
    inputs = [{"seconds": round(RUN_SECONDS + n / 1e6, 6)} for n in range(RUNS)]
    with client(base, key) as submitter:
        while time.monotonic() < deadline:
            try:
                answer = submitter.post(
                    "/api/v1/batches", json={"function": function_id, "inputs": inputs}
                )
            except httpx.HTTPError as error:
                answers.count("batch", None, type(error).__name__)
                time.sleep(1)
                continue
            answers.count("batch", answer)
            if answer.status_code == 201:
                return answer.json()["runs"]
            if answer.status_code not in (429, 500, 503):
                raise SystemExit(f"the batch was refused: {answer.status_code} {answer.text}")
            time.sleep(float(answer.headers.get("Retry-After", 1)))
    return []


def crowd(base: str, key: str, n: int, ids: list, answers: Answers, stop) -> None:
    with client(base, key) as person:
        turn = 0
        while not stop.is_set():
            paths = [("list", "/api/v1/runs?limit=50"), ("health", "/health/")]
            if ids:
                run = ids[(n + turn * CROWD) % len(ids)]  # another run at each turn
                paths.insert(0, ("wait", f"/api/v1/runs/{run}?wait=5"))
            turn += 1
            for kind, path in paths:
                try:
                    answers.count(kind, person.get(path))
                except httpx.HTTPError as error:
                    answers.count(kind, None, type(error).__name__)


def wait_healthy(base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health/", headers={"X-Forwarded-Proto": "https"}).is_success:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the web server or the workers did not start (see var/bench-*.log)")


def measure_connection_limit(cluster, environment, member, token, function) -> None:
    import psycopg
    from django.core.management import call_command
    from django.db import connection

    from codeengine_ui.access.models import ApiKey, ApiKeyScope
    from codeengine_ui.runs.models import IN_PROGRESS_STATUSES

    call_command("collectstatic", interactive=False, verbosity=0)
    crowd_keys = [key for _, key in people(CROWD)]
    submitter_key = ApiKey.issue(member, "bench", ApiKeyScope.RUN)[1]
    # From here on this process uses the one connection below, none of its pool's.
    connection.close()
    connection.close_pool()
    watching = psycopg.connect(cluster.url(), autocommit=True)

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    workers = Workers(
        {**environment, "RUN_WORKER_DB_CONNECTIONS": str(WORKER_DB_CONNECTIONS)}, WORKERS
    )
    web = Web(
        {**environment, "DATABASE_POOL_SIZE": str(WEB_POOL_SIZE), "ALLOWED_HOSTS": "127.0.0.1"},
        port,
    )
    answers = Answers()
    ids: list = []
    stop = threading.Event()
    threads = [
        threading.Thread(target=crowd, args=(base, key, n, ids, answers, stop), daemon=True)
        for n, key in enumerate(crowd_keys)
    ]
    most_connections = 0
    try:
        wait_healthy(base)
        for thread in threads:
            thread.start()
        started = time.monotonic()
        deadline = started + DEADLINE_SECONDS
        ids.extend(submit(base, submitter_key, function.pk, answers, deadline))
        submitted = time.monotonic() - started
        unfinished = RUNS
        while time.monotonic() < deadline:
            most_connections = max(
                most_connections,
                watching.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
                ).fetchone()[0],
            )
            if ids:
                ended = watching.execute(
                    "SELECT count(*) FROM runs_execution WHERE id = ANY(%s)"
                    " AND NOT status = ANY(%s)",
                    [ids, [status.value for status in IN_PROGRESS_STATUSES]],
                ).fetchone()[0]
                unfinished = RUNS - ended
                if not unfinished:
                    break
            time.sleep(0.5)
        wall = time.monotonic() - started
        time.sleep(AFTER_SECONDS)
    finally:
        stop.set()
        for thread in threads:
            thread.join(70)
        web.stop()
        workers.stop()
    not_succeeded = watching.execute(
        "SELECT status, count(*) FROM runs_execution WHERE id = ANY(%s) AND status <> 'SUCCESS'"
        " GROUP BY status",
        [ids],
    ).fetchall()
    watching.close()

    figure("max_connections_20_http_500", answers.codes[500], "responses")
    figure("max_connections_20_runs_unfinished", unfinished, "runs")
    figure("max_connections_20_http_503", answers.codes[503], "responses")
    notes = [
        f"answers: {dict(sorted(answers.codes.items(), key=str))}",
        "by request (kind, status, with Retry-After): "
        + ", ".join(f"{k}: {v}" for k, v in sorted(answers.by_path.items(), key=str)),
        f"most connections in pg_stat_activity: {most_connections} of {MAX_CONNECTIONS}",
        f"the batch taken after {submitted:.1f} s, the last run ended after {wall:.1f} s;"
        f" runs not succeeded: {not_succeeded}",
    ]
    other_errors = [code for code in answers.codes if isinstance(code, int) and code > 500]
    if set(other_errors) - {503}:
        notes.append(f"other 5xx answers: {other_errors}")
    for note in notes:
        print(f"({note})", file=sys.stderr)


def main() -> None:
    if server_binaries() is None:
        print("connection_limit: PostgreSQL's initdb and pg_ctl are not installed; skipped.")
        return
    cluster = PostgresCluster(max_connections=MAX_CONNECTIONS)
    try:
        # Where a deployment collects its static files (the busy page links its stylesheet).
        os.environ["STATIC_ROOT"] = str(VAR / "bench-static")
        environment, emulator, member, token, saved = start_stack(cluster.url())
        try:
            measure_connection_limit(cluster, environment, member, token, saved("sleepFor"))
        finally:
            emulator.stop()
    finally:
        cluster.destroy()


if __name__ == "__main__":
    main()
