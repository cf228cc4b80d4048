"""The numbers on the home page, from indexed queries that stay fast at a million runs.

Run counts come from one grouped scan of the (queued_at, status, duration) index: rows are
grouped by whole hours since the start of the window, and the hours are summed into the
viewer's days here, so a day always means the viewer's day (time zones, summer time)
whatever the database knows of time zones.
"""

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from django.db import NotSupportedError
from django.db.models import Count, Func, IntegerField
from django.utils import timezone

from codeengine_ui.catalog.models import (
    Function,
    ReleaseNews,
)
from codeengine_ui.runs import rollups
from codeengine_ui.runs.history import history_queryset
from codeengine_ui.runs.models import (
    FINISHED_OUTCOMES,
    IN_PROGRESS_STATUSES,
    OUTCOME_OF_STATUS,
    OUTCOME_STATUSES,
    Execution,
    Outcome,
)
from codeengine_ui.timezones import local_midnight

HOUR = timedelta(hours=1)
RECENT_RUNS = 8
SPARKLINE_RUNS = 20


class WholeHoursSince(Func):
    """Whole hours from `start` (a whole second) to a datetime column."""

    output_field = IntegerField()

    def __init__(self, expression, start: datetime):
        self.start_epoch = int(start.timestamp())
        super().__init__(expression)

    def as_sqlite(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.source_expressions[0])
        # Datetimes are UTC text; whole seconds (SQLite would round microseconds up).
        sql = f"((CAST(strftime('%%s', substr({column}, 1, 19)) AS INTEGER) - %s) / 3600)"
        return sql, (*params, self.start_epoch)

    def as_postgresql(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.source_expressions[0])
        # date_part's double precision keeps microseconds and is cheaper than numeric.
        sql = f"(FLOOR((date_part('epoch', {column}) - %s) / 3600))::integer"
        return sql, (*params, self.start_epoch)

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError("The home page's counts need SQLite or PostgreSQL.")


@dataclass
class Tally:
    """Runs of one period by outcome."""

    counts: Counter = field(default_factory=Counter)

    def of(self, outcome: Outcome) -> int:
        if outcome == Outcome.UNSUCCESSFUL:
            return self.counts[Outcome.DOMO_FAILURE] + self.counts[Outcome.CALL_ERROR]
        return self.counts[outcome]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def unsuccessful(self) -> int:
        return self.of(Outcome.UNSUCCESSFUL)

    @property
    def finished(self) -> int:
        return sum(self.counts[outcome] for outcome in FINISHED_OUTCOMES)

    @property
    def failure_rate(self) -> float | None:
        """The share of finished runs that did not succeed, in percent."""
        if not self.finished:
            return None
        return 100 * self.unsuccessful / self.finished


class HourlyCounts:
    """Runs queued since `start`, by hour and outcome; any span of whole hours is summed.

    Finished runs come from the rollups (a few rows an hour, whatever the number of runs),
    runs in flight from the runs themselves (few, through the index of their status).
    The rollups count by UTC hour: in a zone whose offset is not whole hours, a day's
    counts start at the hour nearest its midnight."""

    def __init__(self, start: datetime):
        self.start = start
        self.by_hour: dict[int, Counter] = {}
        for hour, statuses in rollups.finished_by_hour(start).items():
            counts = self.by_hour.setdefault(self._hour(hour), Counter())
            for status, runs in statuses.items():
                if status in OUTCOME_OF_STATUS:
                    counts[OUTCOME_OF_STATUS[status]] += runs
        in_flight = (
            Execution.objects.filter(status__in=IN_PROGRESS_STATUSES, queued_at__gte=start)
            .annotate(hour=WholeHoursSince("queued_at", start))
            .values_list("hour")
            .annotate(runs=Count("id"))
            .order_by()
        )
        for hour, runs in in_flight:
            self.by_hour.setdefault(hour, Counter())[Outcome.IN_FLIGHT] += runs
        self.by_hour = {hour: +counts for hour, counts in self.by_hour.items()}

    def between(self, begin: datetime, end: datetime | None = None) -> Tally:
        first = max(self._hour(begin), 0)
        last = self._hour(end) if end else max(self.by_hour, default=-1) + 1
        tally = Tally()
        for hour in range(first, last):
            counts = self.by_hour.get(hour)
            if counts:
                tally.counts.update(counts)
        return tally

    def _hour(self, moment: datetime) -> int:
        # In UTC: between two times of one zone, Python subtracts wall clocks.
        return math.floor((moment.astimezone(UTC) - self.start.astimezone(UTC)) / HOUR)


@dataclass(frozen=True)
class Periods:
    """The periods the home page speaks of, in the viewer's time zone."""

    now: datetime
    today: datetime
    this_week: datetime  # Monday, 00:00
    last_7_days: datetime  # 00:00 six days ago: today and the six days before

    @classmethod
    def at(cls, now: datetime) -> "Periods":
        today = timezone.localtime(now).date()
        return cls(
            now=now,
            today=local_midnight(today),
            this_week=local_midnight(today - timedelta(days=today.weekday())),
            last_7_days=local_midnight(today - timedelta(days=6)),
        )


@dataclass(frozen=True)
class Bucket:
    start: datetime
    end: datetime
    tally: Tally


RANGES = {
    "24h": "Last 24 hours",
    "7d": "Last 7 days",
    "30d": "Last 30 days",
}
DEFAULT_RANGE = "7d"


def bucket_bounds(chart_range: str, now: datetime) -> list[tuple[datetime, datetime]]:
    """The chart's bars as [start, end) pairs, oldest first, the current hour or day last."""
    if chart_range == "24h":
        local = timezone.localtime(now)
        current_hour = local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
        starts = [current_hour - HOUR * back for back in range(23, -1, -1)]
        return [(start, start + HOUR) for start in starts]
    days = 30 if chart_range == "30d" else 7
    today = timezone.localtime(now).date()
    dates = [today - timedelta(days=back) for back in range(days - 1, -2, -1)]
    midnights = [local_midnight(day) for day in dates]
    return list(pairwise(midnights))


@dataclass(frozen=True)
class Summary:
    periods: Periods
    today: Tally
    this_week: Tally
    last_7_days: Tally
    median_duration: timedelta | None
    p95_duration: timedelta | None
    timed_runs: int
    durations_estimated: bool
    buckets: list[Bucket]


def summary(chart_range: str, now: datetime | None = None) -> Summary:
    periods = Periods.at(now or timezone.now())
    bounds = bucket_bounds(chart_range, periods.now)
    counts = HourlyCounts(min(bounds[0][0], periods.last_7_days))
    median, p95, timed = duration_percentiles(periods.last_7_days)
    return Summary(
        periods=periods,
        today=counts.between(periods.today),
        this_week=counts.between(periods.this_week),
        last_7_days=counts.between(periods.last_7_days),
        median_duration=median,
        p95_duration=p95,
        timed_runs=timed,
        durations_estimated=timed > EXACT_DURATIONS_UP_TO,
        buckets=[Bucket(start, end, counts.between(start, end)) for start, end in bounds],
    )


# Up to this many timed runs, the percentiles are read exactly from the runs; past it, from
# the rollups' duration sketch (within a tenth or so, and said to be approximate).
EXACT_DURATIONS_UP_TO = 10_000


def duration_percentiles(since: datetime) -> tuple[timedelta | None, timedelta | None, int]:
    """Median and 95th percentile (nearest rank) of the durations of runs queued since."""
    sketch = rollups.duration_buckets(since)
    if sum(sketch.values()) > EXACT_DURATIONS_UP_TO:
        median, p95 = rollups.sketched_percentiles(sketch, (0.5, 0.95))
        return median, p95, sum(sketch.values())
    timed = Execution.objects.filter(queued_at__gte=since, duration__isnull=False)
    count = timed.count()
    if not count:
        return None, None, 0
    by_duration = timed.order_by("duration").values_list("duration", flat=True)

    def at_rank(share: float) -> timedelta:
        return by_duration[max(math.ceil(share * count), 1) - 1]

    return at_rank(0.5), at_rank(0.95), count


def in_flight() -> int:
    return Execution.objects.filter(status__in=IN_PROGRESS_STATUSES).count()


def recent_runs_of(user) -> list[Execution]:
    return list(history_queryset().filter(requested_by=user).order_by("-id")[:RECENT_RUNS])


def recently_failed() -> list[Execution]:
    """The newest runs that did not succeed. One short query per status, each reading the
    end of its (status, id) index, is what stays fast at any history size."""
    newest_ids = []
    for status in OUTCOME_STATUSES[Outcome.UNSUCCESSFUL]:
        newest_ids += (
            Execution.objects.filter(status=status)
            .order_by("-id")
            .values_list("id", flat=True)[:RECENT_RUNS]
        )
    newest_ids = sorted(newest_ids, reverse=True)[:RECENT_RUNS]
    return list(history_queryset().filter(pk__in=newest_ids).order_by("-id"))


def outdated_functions(user) -> list[Function]:
    """Saved functions pinned to a version older than the newest released one, as far as
    `user` may be told (see ReleaseNews)."""
    news = ReleaseNews(user)
    checked = Function.objects.exclude(newest_version="").select_related("instance")
    return [function for function in checked if news.newer_version(function)]


@dataclass(frozen=True)
class RecentRun:
    pk: int
    status: str
    duration: timedelta | None

    @property
    def succeeded(self) -> bool:
        return OUTCOME_OF_STATUS.get(self.status) == Outcome.SUCCESS


def recent_runs_by_function(function_ids: list[int]) -> dict[int, list[RecentRun]]:
    """The last finished runs of each function, oldest first: one short read of the end of
    the (function, id) index per function."""
    finished = Execution.objects.exclude(status__in=IN_PROGRESS_STATUSES)
    runs = {}
    for function_id in function_ids:
        rows = finished.filter(function_id=function_id).order_by("-id")[:SPARKLINE_RUNS]
        newest_first = list(rows.values_list("id", "status", "duration"))
        runs[function_id] = [RecentRun(*row) for row in reversed(newest_first)]
    return runs
