"""The rollups follow every run: counted when it ends, moved when its status changes, gone
when it is deleted; a try sent back to the queue counts as retried."""

from collections import Counter
from datetime import timedelta

from django.utils import timezone

from codeengine_ui.domo.client import FunctionExecution
from codeengine_ui.runs import rollups
from codeengine_ui.runs.housekeeping import interrupt
from codeengine_ui.runs.models import Execution, ExecutionStatus, RunHour, StatusHour
from tests.conftest import stored_run


def _by_status() -> Counter:
    counts = Counter()
    for statuses in rollups.finished_by_hour(timezone.now() - timedelta(days=1)).values():
        counts.update(statuses)
    return +counts


def test_a_run_counts_when_it_ends_moves_when_it_changes_and_stays_when_pruned(
    greet, developer_token, member
):
    run = stored_run(greet, developer_token, member, {"name": "Ada"})
    assert _by_status() == Counter()

    run.mark_running("w")
    interrupt([Execution.objects.get(pk=run.pk)], "stopped")
    assert _by_status() == Counter({"interrupted": 1})

    run.record_outcome(FunctionExecution(status="SUCCESS", result="late"))  # its live owner
    assert _by_status() == Counter({"SUCCESS": 1})
    assert sum(rollups.duration_buckets().values()) == 1

    stored_run(greet, developer_token, member, {"name": "Bo"}, status=ExecutionStatus.FAILED)
    assert _by_status() == Counter({"SUCCESS": 1, "FAILED": 1})

    Execution.objects.filter(pk=run.pk).delete()  # pruned: still a run that ended
    assert _by_status() == Counter({"SUCCESS": 1, "FAILED": 1})


def test_a_run_moved_to_another_hour_is_counted_there(greet, developer_token, member):
    run = stored_run(greet, developer_token, member, {"name": "Ada"}, status="SUCCESS")
    earlier = timezone.now() - timedelta(days=3)
    Execution.objects.filter(pk=run.pk).update(queued_at=earlier)

    hours = {
        hour
        for hour, _status in StatusHour.objects.filter(runs__gt=0).values_list("hour", "status")
    }
    assert hours == {rollups.hour_of(earlier)}


def test_a_try_sent_back_to_the_queue_counts_as_retried_with_its_429(
    greet, developer_token, member
):
    run = stored_run(greet, developer_token, member, {"name": "Ada"})
    run.mark_running("w")
    run.wait_to_retry("rate_limited", "429", timezone.now() + timedelta(seconds=5))

    retried = list(
        RunHour.objects.filter(status=rollups.RETRIED).values_list("http_status", "runs")
    )
    assert retried == [(429, 1)]
    assert _by_status() == Counter()


def test_sketched_percentiles_are_within_a_tenth():
    buckets = Counter()
    durations = [0.05 * n for n in range(1, 401)]  # 50 ms to 20 s
    for seconds in durations:
        bucket = sum(1 for bound in rollups.DURATION_BOUNDS if bound <= seconds)
        buckets[bucket] += 1
    median, p95 = rollups.sketched_percentiles(buckets, (0.5, 0.95))
    assert abs(median.total_seconds() - 10.0) / 10.0 < 0.1
    assert abs(p95.total_seconds() - 19.0) / 19.0 < 0.1
