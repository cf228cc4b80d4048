"""Run capacity: real worker processes against the emulator over HTTPS, on PostgreSQL.

The emulator serves HTTPS with its local authority and adds 25 ms each way (a 50 ms
round trip, and one or two more for a new connection). Runs are queued through
`start_run`, as the run form queues them; `manage.py run_worker` processes run them.

  runs_500x2s_wall                   500 runs of a 2-second function released at once to
                                     one worker with default settings: released -> last
                                     finished (s)
  runs_first_256_started_s           how long its first 256 runs took to start (s)
  runs_in_flight_max                 the most of those running at the same moment (runs)
  worker_rss_mb_at_256_in_flight     the worker's resident memory at its highest during
                                     that burst, 256 runs in flight at most (MB)
  db_connections_max                 the worker's connections to PostgreSQL, at the most,
                                     during the burst (pg_stat_activity)
  upstream_connections_per_100_runs  100 runs one after another: connections the emulator
                                     accepted
  run_added_latency_tls_p50          queued -> stored, minus a kept-alive direct call to the
                                     same function in the same process (ms)
  runs_1_worker_400x0.5s_wall        400 runs of half a second, one worker at
                                     --concurrency 50 (s)
  runs_4_workers_400x0.5s_wall       the same with four such workers (s); every run is
                                     received exactly once by the emulator (checked)

Needs PostgreSQL on 127.0.0.1:5432 (user postgres); without it, says so and prints nothing.
"""

import os
import signal
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
from shared import figure

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VAR = ROOT / "var"
POSTGRES_SERVER = "postgres://postgres@127.0.0.1:5432"
DATABASE = "codeengine_bench_runs"
TOKEN = "bench-capacity-token-0123456789abcdef"
LATENCY_MS = 25
LATENCY_SAMPLES = 30
HELD_UNTIL = datetime(2126, 1, 1, tzinfo=UTC)
BENCH_APPLICATION = "console-benchmark"


def postgres_ready() -> bool:
    import psycopg

    try:
        with psycopg.connect(f"{POSTGRES_SERVER}/postgres", connect_timeout=3, autocommit=True):
            return True
    except psycopg.OperationalError:
        return False


def fresh_database() -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as connection:
        connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            [DATABASE],
        )
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}"')
        connection.execute(f'CREATE DATABASE "{DATABASE}"')


class Emulator:
    """`manage.py codeengine_emulator` over HTTPS with a latency, in its own process."""

    def __init__(self, environment: dict, port: int):
        self.url = f"https://127.0.0.1:{port}"
        self.ca_bundle = VAR / "bench-tls" / "emulator-ca.pem"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "codeengine_emulator",
                "--port",
                str(port),
                "--latency-ms",
                str(LATENCY_MS),
                "--tls-dir",
                str(VAR / "bench-tls"),
            ],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                self.stats()
                return
            except (httpx.HTTPError, OSError):
                time.sleep(0.1)
        raise SystemExit("the emulator did not start")

    def stats(self) -> dict:
        return httpx.get(f"{self.url}/_emulator/stats", verify=str(self.ca_bundle)).json()

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(10)


class Workers:
    """`manage.py run_worker` processes, with their memory sampled while they run."""

    def __init__(self, environment: dict, count: int = 1, arguments: tuple[str, ...] = ()):
        self.processes = [
            subprocess.Popen(
                [sys.executable, "manage.py", "run_worker", *arguments],
                cwd=ROOT,
                env=environment,
                stdout=subprocess.DEVNULL,
                stderr=(VAR / f"bench-worker-{index}.log").open("w"),
            )
            for index in range(count)
        ]

    def rss_mb(self) -> float:
        most = 0.0
        for process in self.processes:
            status = Path(f"/proc/{process.pid}/status").read_text()
            line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
            most = max(most, int(line.split()[1]) / 1024)
        return most

    def stop(self) -> None:
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_until_healthy_worker(count: int, timeout: float = 30) -> None:
    from codeengine_ui.runs.models import WorkerHeartbeat

    deadline = time.monotonic() + timeout
    while WorkerHeartbeat.objects.count() < count:
        if time.monotonic() > deadline:
            raise SystemExit("the workers did not start (see var/bench-worker-*.log)")
        time.sleep(0.1)


def queue_runs(function, token, user, inputs_list: list[dict], *, hold=False) -> list[int]:
    """Queue the runs as the run form does, from several threads at once, as a team's
    browsers (or the API) would; held runs are due only in a hundred years."""
    from django.db import connection, transaction

    from codeengine_ui.runs.models import Execution, RunSource
    from codeengine_ui.runs.services import start_run

    def queue(inputs):
        try:
            with transaction.atomic():  # held before any worker is told of it
                execution = start_run(function, inputs, token, user, RunSource.FORM)
                if hold:
                    Execution.objects.filter(pk=execution.pk).update(retry_at=HELD_UNTIL)
            return execution.pk
        finally:
            connection.close()

    if len(inputs_list) == 1 and not hold:
        return [start_run(function, inputs_list[0], token, user, RunSource.FORM).pk]
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(queue, inputs_list))


def wait_finished(ids: list[int], timeout: float = 600, during=None, every=0.05) -> list:
    """The runs once all have ended. The figures come from the times stored on them, so a
    look every `every` seconds only has to be frequent enough not to delay the next run,
    and rare enough not to compete with the worker for the CPU."""
    from codeengine_ui.runs.models import IN_PROGRESS_STATUSES, Execution

    deadline = time.monotonic() + timeout
    # A range of ids, not a list of thousands: the look costs the database (and this
    # process) little, whatever the number of runs, and leaves the CPU to the worker.
    in_flight = Execution.objects.filter(
        pk__range=(min(ids), max(ids)), status__in=IN_PROGRESS_STATUSES
    )
    while in_flight.filter(pk__in=ids).exists() if len(ids) < 100 else in_flight.exists():
        if during is not None:
            during()
        if time.monotonic() > deadline:
            raise SystemExit("runs did not finish in time (see var/bench-worker-*.log)")
        time.sleep(every)
    return list(Execution.objects.filter(pk__in=ids))


def most_in_flight(executions) -> int:
    events = sorted(
        [(e.started_at, 1) for e in executions if e.started_at]
        + [(e.finished_at, -1) for e in executions if e.started_at],
        key=lambda event: (event[0], event[1]),
    )
    in_flight = most = 0
    for _, change in events:
        in_flight += change
        most = max(most, in_flight)
    return most


def worker_connections() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
            " AND backend_type = 'client backend' AND application_name <> %s",
            [DATABASE, BENCH_APPLICATION],
        )
        return cursor.fetchone()[0]


def unique_sleeps(count: int, seconds: float) -> list[dict]:
    """A millionth of a second more for each run makes every body unique, so the emulator
    can tell a run received twice from two runs."""
    return [{"seconds": round(seconds + n / 1_000_000, 6)} for n in range(count)]


def burst(function, token, user, count: int, seconds: float, start_workers, inputs=None):
    """`count` runs for workers that are already up: the runs are queued to be due in a
    hundred years, then all made due in one statement (and the workers told), so the
    figure is the workers' alone. (wall from the release to the last run finished,
    executions, samples, workers)."""
    from django.db import connection

    from codeengine_ui.runs.models import Execution
    from codeengine_ui.runs.tasks import RUN_QUEUED_CHANNEL

    workers = start_workers()
    wait_until_healthy_worker(len(workers.processes))
    ids = queue_runs(function, token, user, inputs or unique_sleeps(count, seconds), hold=True)
    samples = {"rss": 0.0, "connections": 0}

    def sample() -> None:
        samples["rss"] = max(samples["rss"], workers.rss_mb())
        samples["connections"] = max(samples["connections"], worker_connections())

    released = timezone_now()
    Execution.objects.filter(pk__in=ids).update(retry_at=None)
    with connection.cursor() as cursor:
        cursor.execute(f"NOTIFY {RUN_QUEUED_CHANNEL}")
    executions = wait_finished(ids, during=sample)
    failed = [e for e in executions if e.status != "SUCCESS"]
    if failed:
        raise SystemExit(f"{len(failed)} runs did not succeed: {failed[0].error_message}")
    wall = (max(e.finished_at for e in executions) - released).total_seconds()
    return wall, executions, samples, workers


def timezone_now():
    from django.utils import timezone

    return timezone.now()


def bench_environment(database_url: str, port: int) -> dict:
    """The settings of every process of a capacity benchmark (this one included)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "codeengine_ui.settings",
        "DEBUG": "0",
        "SECRET_KEY": "benchmark-only-secret",
        "DATABASE_URL": database_url,
        "TOKEN_ENCRYPTION_KEYS": "n5VlGm7Xj3a1mE3qyrRZ3F5vO1T7lD2pXo2M3ZQ9C1g=",
        "CODEENGINE_ALLOWED_HOSTS": f"127.0.0.1:{port}",
        "CODEENGINE_CA_BUNDLE": str(VAR / "bench-tls" / "emulator-ca.pem"),
        "CODEENGINE_EMULATOR_TOKEN": TOKEN,
        "DEMO": "1",
        "LOG_LEVEL": "WARNING",
    }


def start_stack(database_url: str):
    """Django set up on `database_url` (migrated), the emulator started, and a member with
    the demo's functions saved: (environment, emulator, member, token, saved), where
    `saved(name)` saves one more demo function."""
    from codeengine_ui.demo.stack import _free_port

    port = _free_port()
    environment = bench_environment(database_url, port)
    os.environ.update(environment)
    # This process's own connections (its pool included) are named, so that the figures
    # count the workers' alone; the workers' environment does not carry the name.
    os.environ["PGAPPNAME"] = BENCH_APPLICATION
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from codeengine_ui.catalog.importing import save_function
    from codeengine_ui.catalog.models import AccessToken, Instance
    from codeengine_ui.demo.package import DEMO_PACKAGE_ID, LATEST_DEMO_VERSION, demo_packages

    call_command("migrate", verbosity=0)
    emulator = Emulator(environment, port)
    member = get_user_model().objects.create_user("bench-member")
    member.groups.add(Group.objects.get_or_create(name="member")[0])
    instance = Instance.objects.create(name="emulator", custom_base_url=emulator.url)
    token = AccessToken(instance=instance, label="Bench", shared_with_members=True)
    token.set_token(TOKEN)
    token.save()
    package = next(p for p in demo_packages() if p["id"] == DEMO_PACKAGE_ID)
    definitions = {
        f["definition"]["name"]: f["definition"]
        for f in package["versions"][LATEST_DEMO_VERSION]["functions"]
    }

    def saved(name):
        function, _ = save_function(
            instance=instance,
            token=token,
            package_id=DEMO_PACKAGE_ID,
            version=LATEST_DEMO_VERSION,
            function_name=name,
            definition=definitions[name],
            user=member,
        )
        return function

    return environment, emulator, member, token, saved


def main() -> None:
    if not postgres_ready():
        print("run_capacity: PostgreSQL is not running on 127.0.0.1:5432; skipped.")
        return
    fresh_database()
    environment, emulator, member, token, saved = start_stack(f"{POSTGRES_SERVER}/{DATABASE}")
    try:
        sleeper, greet = saved("sleepFor"), saved("greet")
        if "--burst-only" in sys.argv:  # for profiling the worker: the 500-run burst alone
            wall, _executions, _samples, workers = burst(
                sleeper,
                token,
                member,
                500,
                2,
                lambda: Workers(environment),
            )
            workers.stop()
            figure("runs_500x2s_wall", wall, "s")
            return
        measure_default_worker(environment, emulator, sleeper, greet, token, member)
        measure_several_workers(environment, emulator, sleeper, token, member)
    finally:
        emulator.stop()


def measure_default_worker(environment, emulator, sleeper, greet, token, member) -> None:
    wall, executions, samples, workers = burst(
        sleeper,
        token,
        member,
        500,
        2,
        lambda: Workers(environment),
    )
    try:
        figure("runs_500x2s_wall", wall, "s")
        figure("runs_in_flight_max", most_in_flight(executions), "runs")
        started = sorted(e.started_at for e in executions)
        figure("runs_first_256_started_s", (started[255] - started[0]).total_seconds(), "s")
        figure("worker_rss_mb_at_256_in_flight", samples["rss"], "MB")
        figure("db_connections_max", samples["connections"], "connections")

        before = emulator.stats()["connections_opened"]
        for n in range(100):
            wait_finished(queue_runs(greet, token, member, [{"name": f"sequential-{n}"}]))
        figure(
            "upstream_connections_per_100_runs",
            emulator.stats()["connections_opened"] - before,
            "connections",
        )
        added = added_latency(emulator, greet, token, member)
        figure("run_added_latency_tls_p50", statistics.median(added), "ms")
    finally:
        workers.stop()


def added_latency(emulator, greet, token, member) -> list[float]:
    direct = httpx.Client(
        base_url=emulator.url,
        headers={"X-DOMO-Developer-Token": TOKEN},
        verify=str(emulator.ca_bundle),
    )
    path = (
        f"/api/codeengine/v2/packages/{greet.package_id}/versions/{greet.version}/functions/greet"
    )
    direct.post(path, json={"inputVariables": {"name": "warm"}, "settings": {"getLogs": True}})
    added = []
    for n in range(LATENCY_SAMPLES):
        body = {"inputVariables": {"name": f"direct-{n}"}, "settings": {"getLogs": True}}
        started = time.perf_counter()
        direct.post(path, json=body).raise_for_status()
        direct_ms = (time.perf_counter() - started) * 1000
        from django.utils import timezone

        queued = timezone.now()
        [execution] = wait_finished(queue_runs(greet, token, member, [{"name": f"timed-{n}"}]))
        assert execution.status == "SUCCESS", execution.error_message
        added.append((execution.finished_at - queued).total_seconds() * 1000 - direct_ms)
    direct.close()
    return added


def measure_several_workers(environment, emulator, sleeper, token, member) -> None:
    from codeengine_ui.runs.models import WorkerHeartbeat

    for count, name in ((1, "runs_1_worker_400x0.5s_wall"), (4, "runs_4_workers_400x0.5s_wall")):
        before = emulator.stats()
        seconds = 0.5 + count / 1000  # other bodies than the other burst's: 1 ms more
        wall, _executions, _samples, workers = burst(
            sleeper,
            token,
            member,
            400,
            seconds,
            lambda count=count: Workers(environment, count, ("--concurrency", "50")),
        )
        workers.stop()
        after = emulator.stats()
        received = after["runs_received"] - before["runs_received"]
        repeated = after["repeated_runs"] - before["repeated_runs"]
        if (received, repeated) != (400, 0):
            raise SystemExit(f"{count} workers: {received} runs received, {repeated} twice")
        figure(name, wall, "s")
        WorkerHeartbeat.objects.all().delete()


if __name__ == "__main__":
    main()
