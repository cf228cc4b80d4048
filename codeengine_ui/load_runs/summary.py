"""What a load run measured, in a few figures, and its verdict against its thresholds; read
from its calls in the history, so an interrupted run is summed up as honestly as one that
finished."""

from decimal import Decimal

from codeengine_ui.runs.models import DOMO_STATUSES, Execution, ExecutionStatus

from .engine import percentile
from .models import LoadRun, LoadVerdict

# Latency is read over the calls Code Engine ran: its 429s and the calls that got no answer
# come back at once (or at the time limit) and would say nothing of the function.
LATENCY_NOTE = "Latency counts the calls Code Engine ran (success or failure)."


def summarise(load_run: LoadRun) -> dict:
    rows = Execution.objects.filter(batch_id=load_run.uuid).values_list(
        "status", "http_status", "duration"
    )
    counts = {"succeeded": 0, "failed": 0, "rate_limited": 0, "errors": 0, "stopped": 0}
    latencies = []
    for status, http_status, duration in rows.iterator(chunk_size=5000):
        if status == ExecutionStatus.ABANDONED:
            counts["stopped"] += 1
            continue
        if status in DOMO_STATUSES:
            counts["succeeded" if status == ExecutionStatus.SUCCESS else "failed"] += 1
            if duration is not None:
                latencies.append(duration.total_seconds() * 1000)
        elif http_status == 429:
            counts["rate_limited"] += 1
        else:
            counts["errors"] += 1
    latencies.sort()
    calls = counts["succeeded"] + counts["failed"] + counts["rate_limited"] + counts["errors"]
    unsuccessful = calls - counts["succeeded"]
    buckets = list(load_run.buckets.values_list("second", "rate_limited", "active_users"))
    seconds = max((second for second, _, _ in buckets), default=-1) + 1
    summary = {
        "calls": calls,
        **counts,
        "error_rate": round(100 * unsuccessful / calls, 2) if calls else None,
        "p50_ms": _rounded(percentile(latencies, 0.50)),
        "p95_ms": _rounded(percentile(latencies, 0.95)),
        "p99_ms": _rounded(percentile(latencies, 0.99)),
        "max_ms": _rounded(latencies[-1] if latencies else None),
        "seconds": seconds,
        "throughput": round(calls / seconds, 2) if seconds else None,
        "first_429_second": next((s for s, limited, _ in buckets if limited), None),
        "peak_users": max((users for _, _, users in buckets), default=0),
    }
    summary["checks"] = checks(load_run, summary)
    return summary


def checks(load_run: LoadRun, summary: dict) -> list[dict]:
    """Each threshold, the value measured and whether it passed."""
    found = []
    if load_run.p95_below_ms is not None:
        value = summary["p95_ms"]
        found.append(
            {
                "name": "p95 latency",
                "limit": f"below {load_run.p95_below_ms:,} ms",
                "value": "no call ran" if value is None else f"{value:,} ms",
                "passed": value is not None and value < load_run.p95_below_ms,
            }
        )
    if load_run.errors_below_percent is not None:
        value = summary["error_rate"]
        limit = load_run.errors_below_percent
        found.append(
            {
                "name": "error rate",
                "limit": f"below {limit.normalize():f} %",
                "value": "no call" if value is None else f"{value:g} %",
                "passed": value is not None and Decimal(str(value)) < limit,
            }
        )
    return found


def verdict_of(summary: dict) -> str:
    if not summary.get("checks"):
        return LoadVerdict.NONE
    passed = all(check["passed"] for check in summary["checks"])
    return LoadVerdict.PASS if passed else LoadVerdict.FAIL


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


COMPARED = (
    ("p50_ms", "p50", "ms", False),
    ("p95_ms", "p95", "ms", False),
    ("p99_ms", "p99", "ms", False),
    ("throughput", "Throughput", "calls/s", True),
    ("error_rate", "Error rate", "%", False),
    ("first_429_second", "429s began at", "s", True),
)


def comparison(earlier: LoadRun, later: LoadRun) -> list[dict]:
    """The two runs' figures side by side, with the change and whether it is better."""
    rows = []
    for key, label, unit, higher_is_better in COMPARED:
        before, after = earlier.summary.get(key), later.summary.get(key)
        delta = better = None
        if before is not None and after is not None:
            delta = round(after - before, 2)
            if delta:
                better = (delta > 0) == higher_is_better
        rows.append(
            {
                "key": key,
                "label": label,
                "unit": unit,
                "earlier": before,
                "later": after,
                "delta": delta,
                "better": better,
            }
        )
    return rows
