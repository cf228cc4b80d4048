"""The home page's figures, computed over known runs around a fixed moment."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from codeengine_ui.dashboard import stats
from codeengine_ui.dashboard.charts import nice_ceiling, runs_chart
from codeengine_ui.runs.models import ExecutionStatus, Outcome

from .conftest import NEW_YORK, NOW, new_york

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def viewer_in_new_york():
    with timezone.override(NEW_YORK):
        yield


def _counts(tally) -> tuple[int, int, int, int]:
    return tuple(
        tally.of(outcome)
        for outcome in (
            Outcome.SUCCESS,
            Outcome.DOMO_FAILURE,
            Outcome.CALL_ERROR,
            Outcome.IN_FLIGHT,
        )
    )


def test_cards_count_today_this_week_and_the_last_7_days(week_of_runs):
    summary = stats.summary("7d", NOW)

    assert summary.today.total == 4  # midnight exactly is today; the running run counts
    assert summary.this_week.total == 6  # since Monday 00:00
    assert summary.last_7_days.total == 10
    assert summary.last_7_days.finished == 9
    assert summary.last_7_days.unsuccessful == 4  # FAILED, error, RESULT_TYPE_FAILURE, interrupted
    assert summary.last_7_days.failure_rate == pytest.approx(100 * 4 / 9)


def test_durations_are_the_nearest_rank_median_and_95th_percentile(week_of_runs):
    summary = stats.summary("7d", NOW)

    # 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 60 seconds: the running run has no duration yet.
    assert summary.timed_runs == 9
    assert summary.median_duration == timedelta(seconds=1.5)
    assert summary.p95_duration == timedelta(seconds=60)


def test_without_runs_there_is_no_rate_and_no_duration(db):
    summary = stats.summary("7d", NOW)

    assert summary.today.total == 0
    assert summary.last_7_days.failure_rate is None
    assert (summary.median_duration, summary.p95_duration, summary.timed_runs) == (None, None, 0)
    assert runs_chart(summary.buckets, "7d", "/executions/").total == 0


def test_seven_day_chart_has_one_bar_per_local_day(week_of_runs):
    buckets = stats.summary("7d", NOW).buckets

    assert [timezone.localtime(b.start).day for b in buckets] == [5, 6, 7, 8, 9, 10, 11]
    assert [_counts(b.tally) for b in buckets] == [
        (1, 0, 0, 0),  # Thursday 00:10
        (0, 0, 0, 0),
        (0, 0, 1, 0),  # interrupted
        (1, 1, 0, 0),  # both sides of the clock change
        (1, 0, 0, 0),
        (0, 0, 1, 0),  # 23:59:59 stays on Tuesday
        (2, 1, 0, 1),
    ]
    sunday = buckets[3]
    assert sunday.end.astimezone(UTC) - sunday.start.astimezone(UTC) == timedelta(hours=23)
    assert sunday.start.astimezone(UTC) == datetime(2026, 3, 8, 5, tzinfo=UTC)


def test_twenty_four_hour_chart_ends_with_the_current_hour(week_of_runs):
    buckets = stats.summary("24h", NOW).buckets

    assert len(buckets) == 24
    assert timezone.localtime(buckets[0].start) == new_york(10, 16)
    assert timezone.localtime(buckets[-1].start) == new_york(11, 15)
    by_hour = {timezone.localtime(b.start).strftime("%d %H"): _counts(b.tally) for b in buckets}
    assert by_hour["10 23"] == (0, 0, 1, 0)
    assert by_hour["11 00"] == (1, 0, 0, 0)
    assert by_hour["11 09"] == (1, 0, 0, 0)
    assert by_hour["11 10"] == (0, 1, 0, 0)
    assert by_hour["11 15"] == (0, 0, 0, 1)
    assert sum(b.tally.total for b in buckets) == 5


def test_thirty_day_chart_reaches_back_thirty_days(week_of_runs):
    buckets = stats.summary("30d", NOW).buckets

    assert len(buckets) == 30
    assert timezone.localtime(buckets[0].start) == new_york(10, 0, month=2)
    assert sum(b.tally.total for b in buckets) == 11  # all but February 1st
    march_4 = next(b for b in buckets if timezone.localtime(b.start).day == 4)
    assert _counts(march_4.tally) == (1, 0, 0, 0)


def test_a_run_exactly_at_a_bucket_boundary_belongs_to_the_later_bucket(record_run):
    record_run(new_york(11, 14), ExecutionStatus.SUCCESS, 1)
    record_run(
        new_york(11, 13, 59, 59) + timedelta(microseconds=999_999), ExecutionStatus.FAILED, 1
    )

    by_hour = {
        timezone.localtime(b.start).hour: _counts(b.tally)
        for b in stats.summary("24h", NOW).buckets[-3:]
    }
    assert by_hour == {13: (0, 1, 0, 0), 14: (1, 0, 0, 0), 15: (0, 0, 0, 0)}


def test_chart_geometry_and_links(week_of_runs):
    summary = stats.summary("7d", NOW)
    chart = runs_chart(summary.buckets, "7d", "/executions/")

    assert chart.total == 10
    assert [tick.label for tick in chart.ticks] == ["0", "2", "4"]  # the busiest day has 4 runs
    today = chart.bars[-1]
    assert [(s.outcome, s.runs) for s in today.segments] == [
        (Outcome.SUCCESS, 2),
        (Outcome.DOMO_FAILURE, 1),
    ]
    success, failure = today.segments
    assert success.y + success.height == pytest.approx(180)  # stacked from the axis up
    assert failure.y + failure.height == pytest.approx(success.y)
    assert success.height == pytest.approx(2 * failure.height)
    assert failure.href == (
        "/executions/?outcome=failure&start=2026-03-11T00%3A00%3A00-04%3A00"
        "&end=2026-03-12T00%3A00%3A00-04%3A00"
    )
    assert failure.title == "Wed 11 Mar: 1 domo failure"
    assert [bar.axis_label for bar in chart.bars] == [
        "Thu 5", "Fri 6", "Sat 7", "Sun 8", "Mon 9", "Tue 10", "Wed 11",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("value", "expected"), [(0, 1), (1, 1), (3, 4), (7, 10), (11, 20), (45, 50), (101, 200)]
)
def test_the_axis_ends_on_a_round_number(value, expected):
    assert nice_ceiling(value) == expected
