"""The load-run engine against the emulator over loopback: every call counted and kept in
the history as its starter's, percentiles and thresholds, the instance's budget, 429s."""

from decimal import Decimal

import pytest

from codeengine_ui.catalog.models import Instance
from codeengine_ui.load_runs import services
from codeengine_ui.load_runs.models import LoadRunStatus, LoadVerdict
from codeengine_ui.load_runs.tasks import drive
from codeengine_ui.runs.models import Execution, ExecutionStatus, RunSource
from tests.load_runs.conftest import plan

pytestmark = pytest.mark.django_db


def test_a_count_of_calls_is_made_and_each_is_a_run_of_its_starter(
    greet, developer_token, load_member
):
    load_run = services.start_load_run(plan(greet, developer_token, total_calls=40), load_member)

    assert drive(load_run.pk, "test-worker") == LoadRunStatus.FINISHED

    load_run.refresh_from_db()
    calls = Execution.objects.filter(batch_id=load_run.uuid)
    assert calls.count() == 40
    assert set(calls.values_list("source", "requested_by", "status").distinct()) == {
        (RunSource.LOAD, load_member.pk, ExecutionStatus.SUCCESS)
    }
    assert calls.first().result == "Hello, Ada."
    summary = load_run.summary
    assert summary["calls"] == 40 and summary["succeeded"] == 40 and summary["error_rate"] == 0
    assert 0 < summary["p50_ms"] <= summary["p95_ms"] <= summary["p99_ms"] <= summary["max_ms"]
    assert load_run.verdict == LoadVerdict.PASS
    buckets = list(load_run.buckets.all())
    assert sum(bucket.calls for bucket in buckets) == 40
    assert max(bucket.active_users for bucket in buckets) == 5


def test_a_threshold_not_met_fails_the_verdict(busy, developer_token, load_member):
    settings = plan(busy, developer_token, users=2, total_calls=4, p95_below_ms=10)

    load_run = services.start_load_run(settings, load_member)
    drive(load_run.pk, "test-worker")

    load_run.refresh_from_db()
    assert load_run.verdict == LoadVerdict.FAIL
    p95 = next(check for check in load_run.summary["checks"] if check["name"] == "p95 latency")
    assert p95["passed"] is False and load_run.summary["p95_ms"] >= 50


def test_failures_count_against_the_error_rate(instance, developer_token, load_member):
    from tests.conftest import save_demo_function

    failing = save_demo_function(instance, developer_token, "wrongResultType")
    settings = plan(
        failing, developer_token, inputs={}, total_calls=10, errors_below_percent=Decimal("5")
    )

    load_run = services.start_load_run(settings, load_member)
    drive(load_run.pk, "test-worker")

    load_run.refresh_from_db()
    assert load_run.summary["failed"] == 10 and load_run.summary["error_rate"] == 100
    assert load_run.verdict == LoadVerdict.FAIL


def test_users_are_capped_to_the_budget_and_never_exceed_it(
    busy, developer_token, load_member, emulator
):
    Instance.objects.filter(pk=busy.instance_id).update(concurrency_budget=3)
    busy.instance.refresh_from_db()

    load_run = services.start_load_run(
        plan(busy, developer_token, users=10, total_calls=30), load_member
    )

    assert load_run.users == 3 and "Capped to 3 virtual users" in load_run.cap_note
    drive(load_run.pk, "test-worker")
    load_run.refresh_from_db()
    assert load_run.summary["calls"] == 30
    assert load_run.summary["rate_limited"] == 0  # 3 at once: under the service's limit of 4
    assert max(load_run.buckets.values_list("active_users", flat=True)) <= 3


def test_where_429s_began_is_marked(busy, developer_token, load_member):
    settings = plan(
        busy, developer_token, users=8, total_calls=None, duration_seconds=2, ramp_up_seconds=1
    )

    load_run = services.start_load_run(settings, load_member)
    drive(load_run.pk, "test-worker")

    load_run.refresh_from_db()
    summary = load_run.summary
    assert summary["rate_limited"] > 0 and summary["first_429_second"] is not None
    limited = Execution.objects.filter(batch_id=load_run.uuid, http_status=429)
    assert limited.count() == summary["rate_limited"]
    assert busy.instance.__class__.objects.get(pk=busy.instance_id).backoff_until is not None
