"""The queue against what a deployment's database and crowd do to it, with real processes:
a PostgreSQL server of the benchmark's own (stopped, started, its connections limited),
`manage.py run_worker` processes and the emulator over HTTPS 50 ms away.

  pg_outage_15s_2_workers_results_lost  two workers, 200 runs of 6 s in flight, PostgreSQL
                                        stopped for 15 s and started again: runs whose
                                        answer Code Engine gave but the history lost
                                        (ended as interrupted or in error) (runs)
  orphan_check_ms_at_50k_queued         the check for dead workers' runs, as a worker makes
                                        it every 2 s, with 50,000 runs queued: p95 (ms)
  other_user_wait_behind_1000_s         one worker with default settings; a person queues
                                        1,000 runs of 10 s, then another person queues one:
                                        how long the other's run waited to start, the worse
                                        of two tries (both from the form, both as API
                                        batches) (s)
  runs_per_second_instant_1_worker      5,000 runs of a function that returns at once,
                                        released together to one worker with default
                                        settings: runs / (released -> last finished)

Needs PostgreSQL's server programs (initdb, pg_ctl); without them, says so and prints
nothing.
"""

import sys
import time

from run_capacity import (
    ROOT,
    Workers,
    burst,
    queue_runs,
    start_stack,
    unique_sleeps,
    wait_finished,
)
from shared import figure, percentile

sys.path.insert(0, str(ROOT))

from tests.postgres_cluster import PostgresCluster, server_binaries

OUTAGE_RUNS = 200
OUTAGE_RUN_SECONDS = 6
OUTAGE_SECONDS = 15


def wait_running(ids: list[int], count: int, timeout: float = 60) -> None:
    from codeengine_ui.runs.models import Execution, ExecutionStatus

    deadline = time.monotonic() + timeout
    while Execution.objects.filter(pk__in=ids, status=ExecutionStatus.RUNNING).count() < count:
        if time.monotonic() > deadline:
            raise SystemExit("the runs did not all start (see var/bench-worker-*.log)")
        time.sleep(0.1)


def measure_outage(cluster, environment, emulator, member, token, sleeper) -> None:
    from django.db import connection

    from codeengine_ui.runs.models import WorkerHeartbeat

    workers = Workers(environment, 2)
    try:
        deadline = time.monotonic() + 30
        while WorkerHeartbeat.objects.count() < 2:
            if time.monotonic() > deadline:
                raise SystemExit("the workers did not start (see var/bench-worker-*.log)")
            time.sleep(0.1)
        before = emulator.stats()["runs_received"]
        ids = queue_runs(
            sleeper, token, member, unique_sleeps(OUTAGE_RUNS, OUTAGE_RUN_SECONDS + 0.003)
        )
        wait_running(ids, OUTAGE_RUNS)
        connection.close()
        cluster.stop()
        time.sleep(OUTAGE_SECONDS)
        cluster.start()
        cluster.wait_ready()
        connection.close_pool()  # this process's own, whose connections the restart ended
        executions = wait_finished(ids, timeout=300)
        received = emulator.stats()["runs_received"] - before
        if received != OUTAGE_RUNS:
            print(f"(the emulator received {received} runs of {OUTAGE_RUNS})", file=sys.stderr)
        lost = [e for e in executions if e.status != "SUCCESS"]
        for execution in lost[:1]:
            print(f"(lost: {execution.status}: {execution.error_message})", file=sys.stderr)
        figure("pg_outage_15s_2_workers_results_lost", len(lost), "runs")
    finally:
        workers.stop()


def measure_orphan_check(member, token, function) -> None:
    from django.utils import timezone

    from codeengine_ui.runs.housekeeping import settle_dead_workers
    from codeengine_ui.runs.models import Execution, WorkerHeartbeat

    model = Execution.for_run(
        function=function, token=token, input_variables={}, get_logs=False, user=member
    )
    fields = {f.attname: getattr(model, f.attname) for f in Execution._meta.concrete_fields}
    fields.pop("id")
    Execution.objects.bulk_create([Execution(**fields) for _ in range(50_000)], batch_size=5000)
    now = timezone.now()
    WorkerHeartbeat.objects.create(
        worker_id="live", hostname="bench", pid=1, concurrency=512, started_at=now, last_seen_at=now
    )
    timings = []
    for _ in range(50):
        started = time.perf_counter()
        settle_dead_workers()
        timings.append((time.perf_counter() - started) * 1000)
    figure("orphan_check_ms_at_50k_queued", percentile(timings, 0.95), "ms")
    Execution.objects.filter(status="queued").delete()
    WorkerHeartbeat.objects.all().delete()


def measure_fairness(environment, member, token, sleeper) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection

    from codeengine_ui.runs.models import Execution, ExecutionStatus, RunSource
    from codeengine_ui.runs.services import start_run

    other = get_user_model().objects.create_user("bench-other")
    other.groups.add(Group.objects.get(name="member"))
    waits = []
    for source in (RunSource.FORM, RunSource.BATCH):
        workers = Workers(environment)
        try:

            def queue(n, source=source):
                try:
                    return start_run(sleeper, {"seconds": 10 + n / 1e6}, token, member, source).pk
                finally:
                    connection.close()

            with ThreadPoolExecutor(8) as pool:
                crowd = list(pool.map(queue, range(1000)))
            deadline = time.monotonic() + 60
            running = Execution.objects.filter(pk__in=crowd, status=ExecutionStatus.RUNNING)
            while running.count() < 500:
                if time.monotonic() > deadline:
                    raise SystemExit("the crowd's runs did not start")
                time.sleep(0.1)
            late = start_run(sleeper, {"seconds": 0.5}, token, other, source)
            while not Execution.objects.filter(pk=late.pk, started_at__isnull=False).exists():
                if time.monotonic() > deadline + 60:
                    raise SystemExit("the other person's run did not start")
                time.sleep(0.02)
            late.refresh_from_db()
            waits.append((late.started_at - late.queued_at).total_seconds())
            print(f"({source}: {waits[-1]:.3f} s)", file=sys.stderr)
            Execution.objects.filter(pk__in=crowd, status=ExecutionStatus.QUEUED).update(
                status=ExecutionStatus.CANCELLED
            )
            wait_finished([*crowd, late.pk], timeout=120)
        finally:
            workers.stop()
    figure("other_user_wait_behind_1000_s", max(waits), "s")


def measure_instant_runs(environment, member, token, greet) -> None:
    names = [{"name": f"instant-{n}"} for n in range(5000)]
    wall, executions, _samples, workers = burst(
        greet, token, member, len(names), 0, lambda: Workers(environment), inputs=names
    )
    workers.stop()
    figure("runs_per_second_instant_1_worker", len(executions) / wall, "runs/s")


def main() -> None:
    if server_binaries() is None:
        print("queue_resilience: PostgreSQL's initdb and pg_ctl are not installed; skipped.")
        return
    cluster = PostgresCluster()
    try:
        environment, emulator, member, token, saved = start_stack(cluster.url())
        try:
            sleeper, greet = saved("sleepFor"), saved("greet")
            if "--instant-only" in sys.argv:  # for profiling the worker
                measure_instant_runs(environment, member, token, greet)
                return
            if "--fairness-only" in sys.argv:
                measure_fairness(environment, member, token, sleeper)
                return
            measure_outage(cluster, environment, emulator, member, token, sleeper)
            measure_orphan_check(member, token, sleeper)
            measure_fairness(environment, member, token, sleeper)
            measure_instant_runs(environment, member, token, greet)
        finally:
            emulator.stop()
    finally:
        cluster.destroy()


if __name__ == "__main__":
    main()
