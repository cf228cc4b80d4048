"""What operators watch, read once for the operations page and /metrics alike: workers and
their heartbeats, the queue, runs in flight per instance against its budget, the last
hour's 429s, errors and hung calls per instance, database connections, and stalled runs.
Everything comes from the database (the rollups for counts), so every web process and
every worker reports the same figures."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from codeengine_ui.catalog.models import Instance
from codeengine_ui.error_codes import ErrorCode
from codeengine_ui.runs import rollups
from codeengine_ui.runs.liveness import stalled_runs
from codeengine_ui.runs.models import Execution, ExecutionStatus, WorkerHeartbeat
from codeengine_ui.runs.queue import in_flight


@dataclass
class Worker:
    name: str
    worker_id: str
    started_at: datetime
    heartbeat_age: float  # seconds
    alive: bool
    in_flight: int
    concurrency: int


@dataclass
class InstanceLoad:
    instance_id: int
    name: str  # as the team knows it
    subdomain: str  # its stable name, for metrics' labels
    in_flight: int = 0
    budget: int | None = None
    backing_off_until: datetime | None = None
    rate_limited_last_hour: int = 0  # answers 429
    errors_last_hour: int = 0  # runs ended with no result from Code Engine
    hung_last_hour: int = 0  # calls that passed their time limit


@dataclass
class Readings:
    at: datetime
    workers: list[Worker]
    queued: int
    oldest_queued_seconds: float | None
    instances: list[InstanceLoad]
    stalled: dict | None
    connections: dict[str, int] = field(default_factory=dict)  # by state (PostgreSQL)
    max_connections: int | None = None
    pool: dict[str, int] = field(default_factory=dict)  # this process's pool

    @property
    def workers_alive(self) -> int:
        return sum(worker.alive for worker in self.workers)


def read() -> Readings:
    now = timezone.now()
    return Readings(
        at=now,
        workers=_workers(now),
        queued=Execution.objects.filter(status=ExecutionStatus.QUEUED).count(),
        oldest_queued_seconds=_oldest_queued(now),
        instances=_instances(now),
        stalled=stalled_runs(),
        connections=_connections(),
        max_connections=_max_connections(),
        pool=_pool(),
    )


def _workers(now: datetime) -> list[Worker]:
    stale = settings.RUN_WORKER_STALE_SECONDS
    workers = []
    for beat in WorkerHeartbeat.objects.order_by("hostname", "pid"):
        age = (now - beat.last_seen_at).total_seconds()
        workers.append(
            Worker(
                name=f"{beat.hostname}:{beat.pid}",
                worker_id=beat.worker_id,
                started_at=beat.started_at,
                heartbeat_age=max(age, 0.0),
                alive=age <= stale,
                in_flight=beat.runs_in_flight,
                concurrency=beat.concurrency,
            )
        )
    return workers


def _oldest_queued(now: datetime) -> float | None:
    # The smallest id queued is the oldest (ids grow with time): one step of an index.
    oldest = (
        Execution.objects.filter(status=ExecutionStatus.QUEUED)
        .order_by("id")
        .values_list("queued_at", flat=True)
        .first()
    )
    return (now - oldest).total_seconds() if oldest else None


def _instances(now: datetime) -> list[InstanceLoad]:
    loads = {
        pk: InstanceLoad(
            pk, str(name or subdomain), subdomain, budget=budget, backing_off_until=until
        )
        for pk, name, subdomain, budget, until in Instance.objects.values_list(
            "pk", "display_name", "name", "concurrency_budget", "backoff_until"
        )
    }
    for load in loads.values():
        if load.backing_off_until and load.backing_off_until <= now:
            load.backing_off_until = None
    # Runs in flight and the slots load runs hold: what counts against each budget.
    for pk, runs in in_flight(list(loads)).items():
        if pk in loads:
            loads[pk].in_flight = runs
    last_hour = now - timedelta(hours=1)
    for pk, status, http_status, code, runs in rollups.since_by(
        last_hour, "instance_id", "status", "http_status", "error_code"
    ):
        load = loads.get(pk)
        if load is None:
            continue
        if http_status == 429:
            load.rate_limited_last_hour += runs
        if status == ExecutionStatus.ERROR:
            load.errors_last_hour += runs
        if code == ErrorCode.TIMEOUT:
            load.hung_last_hour += runs
    return sorted(loads.values(), key=lambda load: load.name.lower())


def _connections() -> dict[str, int]:
    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(state, 'starting'), count(*) FROM pg_stat_activity"
            " WHERE backend_type = 'client backend' GROUP BY 1"
        )
        return dict(cursor.fetchall())


def _max_connections() -> int | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_connections")
        return int(cursor.fetchone()[0])


def _pool() -> dict[str, int]:
    pool = getattr(connection, "pool", None)
    if pool is None:
        return {}
    stats = pool.get_stats()
    return {
        "size": stats.get("pool_size", 0),
        "available": stats.get("pool_available", 0),
        "waiting": stats.get("requests_waiting", 0),
        "max": pool.max_size,
    }
