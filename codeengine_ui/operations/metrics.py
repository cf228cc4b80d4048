"""/metrics in Prometheus's text format. Counters and histograms are read from the rollups'
all-time totals and gauges from the database at each scrape, so every web process answers
alike: nothing is counted in one process's memory (gunicorn's processes and the workers
need no shared folder). Only the pool gauges are the answering process's own. The Domo
instance is the label `domo_instance`: Prometheus gives every series an `instance` of its
own (the address it scraped)."""

from collections import Counter

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.registry import Collector, CollectorRegistry

from codeengine_ui.catalog.models import Instance
from codeengine_ui.error_codes import ErrorCode
from codeengine_ui.runs import rollups

from . import readings

# The histogram's buckets: every doubling of the rollups' duration buckets, from 20 ms.
_EVERY = 4


class ConsoleCollector(Collector):
    def collect(self):
        names = _instance_names()
        *families, seconds = _runs(names)
        yield from families
        yield _durations(seconds)
        now = readings.read()
        yield from _gauges(now)

    def describe(self):
        return []


def registry() -> CollectorRegistry:
    collected = CollectorRegistry(auto_describe=False)
    collected.register(ConsoleCollector())
    return collected


def _instance_names() -> dict[int, str]:
    names = {pk: name for pk, name in Instance.objects.values_list("pk", "name")}
    names[0] = "(deleted)"
    return names


def _runs(names: dict[int, str]):
    runs = CounterMetricFamily(
        "ce_runs",
        "Runs that ended, by instance, status and source.",
        labels=["domo_instance", "status", "source"],
    )
    upstream = CounterMetricFamily(
        "ce_upstream_responses",
        "Answers from Code Engine by HTTP status (a 429 that sent a run back counts too).",
        labels=["domo_instance", "code"],
    )
    hung = CounterMetricFamily(
        "ce_runs_hung",
        "Calls ended by their time limit (no answer in time).",
        labels=["domo_instance"],
    )
    by_status, by_code, hung_by_instance = Counter(), Counter(), Counter()
    seconds = 0.0
    rows = rollups.totals("instance_id", "status", "source", "http_status", "error_code")
    for instance_id, status, source, http_status, error_code, count, spent in rows:
        instance = names.get(instance_id, "(deleted)")
        if status != rollups.RETRIED:
            by_status[(instance, status, source)] += count
            seconds += spent or 0.0
        if http_status:
            by_code[(instance, str(http_status))] += count
        if error_code == ErrorCode.TIMEOUT:
            hung_by_instance[instance] += count
    for labels, count in sorted(by_status.items()):
        runs.add_metric(list(labels), count)
    for labels, count in sorted(by_code.items()):
        upstream.add_metric(list(labels), count)
    for instance, count in sorted(hung_by_instance.items()):
        hung.add_metric([instance], count)
    return runs, upstream, hung, seconds


def _durations(seconds: float):
    buckets = rollups.duration_buckets()
    histogram = HistogramMetricFamily(
        "ce_run_duration_seconds", "How long finished runs took (queued or started to end)."
    )
    cumulative, points = 0, []
    bounds = rollups.DURATION_BOUNDS
    for upper in range(_EVERY - 1, len(bounds), _EVERY):
        cumulative = sum(count for bucket, count in buckets.items() if bucket <= upper)
        points.append((f"{bounds[upper]:.4g}", cumulative))
    points.append(("+Inf", sum(buckets.values())))
    histogram.add_metric([], points, seconds)
    return histogram


def _gauges(now: readings.Readings):
    depth = GaugeMetricFamily("ce_queue_depth", "Runs waiting in the queue.")
    depth.add_metric([], now.queued)
    yield depth
    oldest = GaugeMetricFamily("ce_queue_oldest_seconds", "Age of the oldest queued run.")
    oldest.add_metric([], now.oldest_queued_seconds or 0.0)
    yield oldest
    in_flight = GaugeMetricFamily("ce_in_flight", "Runs in flight.", labels=["domo_instance"])
    budget = GaugeMetricFamily(
        "ce_instance_budget",
        "Runs an instance may have in flight (its budget).",
        labels=["domo_instance"],
    )
    backing_off = GaugeMetricFamily(
        "ce_instance_backing_off",
        "1 while workers hold back calls after a 429.",
        labels=["domo_instance"],
    )
    for load in now.instances:
        in_flight.add_metric([load.subdomain], load.in_flight)
        if load.budget is not None:
            budget.add_metric([load.subdomain], load.budget)
        backing_off.add_metric([load.subdomain], 1 if load.backing_off_until else 0)
    yield from (in_flight, budget, backing_off)
    age = GaugeMetricFamily(
        "ce_worker_heartbeat_age_seconds",
        "Seconds since each worker's last heartbeat.",
        labels=["worker"],
    )
    alive = GaugeMetricFamily("ce_workers_alive", "Workers whose heartbeat is recent.")
    for worker in now.workers:
        age.add_metric([worker.name], worker.heartbeat_age)
    alive.add_metric([], now.workers_alive)
    yield from (age, alive)
    stalled = GaugeMetricFamily("ce_runs_stalled", "Runs held by workers that stopped beating.")
    stalled.add_metric([], (now.stalled or {}).get("count", 0))
    yield stalled
    if now.connections:
        connections = GaugeMetricFamily(
            "ce_db_connections", "Connections to PostgreSQL, by state.", labels=["state"]
        )
        for state, count in sorted(now.connections.items()):
            connections.add_metric([state], count)
        yield connections
        most = GaugeMetricFamily("ce_db_max_connections", "PostgreSQL's max_connections.")
        most.add_metric([], now.max_connections)
        yield most
    if now.pool:
        pool = GaugeMetricFamily(
            "ce_db_pool", "This process's connection pool.", labels=["measure"]
        )
        for measure, value in sorted(now.pool.items()):
            pool.add_metric([measure], value)
        yield pool
