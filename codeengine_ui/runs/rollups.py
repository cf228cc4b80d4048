"""Reading the rollups of finished runs, which database triggers keep as runs end (migrations
0015 and 0016): counts by hour (models.RunHour; models.StatusHour by status alone), all-time
totals (models.RunTotal) and duration sketches (models.DurationHour, models.DurationTotal),
for the home page, the operations page and /metrics, in a few rows whatever the number of
runs."""

import math
from collections import Counter
from datetime import UTC, datetime, timedelta

from django.db.models import Sum

from .models import DurationHour, DurationTotal, RunHour, RunTotal, StatusHour

# The upper bounds (seconds) of the duration buckets, as the triggers bucket durations: four
# buckets for each doubling from 10 ms, the last one open-ended (about 9 minutes and more).
DURATION_BOUNDS = [0.01 * 2 ** ((i + 1) / 4) for i in range(63)]
RETRIED = "retried"  # the status under which a try sent back to the queue counts


def hour_of(moment: datetime) -> datetime:
    """The start of the UTC hour `moment` falls in, as the rollups count it."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def finished_by_hour(since: datetime) -> dict[datetime, Counter]:
    """Finished runs queued from the hour of `since` on: {UTC hour: {status: runs}}."""
    rows = StatusHour.objects.filter(hour__gte=hour_of(since), runs__gt=0).values_list(
        "hour", "status", "runs"
    )
    by_hour: dict[datetime, Counter] = {}
    for hour, status, runs in rows:
        by_hour.setdefault(hour, Counter())[status] += runs
    return by_hour


def bucket_seconds(bucket: int) -> float:
    """A bucket's typical duration: the geometric middle of its bounds."""
    if bucket <= 0:
        return DURATION_BOUNDS[0] / 2
    if bucket >= len(DURATION_BOUNDS):
        return DURATION_BOUNDS[-1]
    return math.sqrt(DURATION_BOUNDS[bucket - 1] * DURATION_BOUNDS[bucket])


def duration_buckets(since: datetime | None = None) -> Counter:
    """{bucket: runs} of the finished runs queued from the hour of `since` (all when None)."""
    if since is None:
        return Counter(dict(DurationTotal.objects.filter(runs__gt=0).values_list("bucket", "runs")))
    rows = DurationHour.objects.filter(hour__gte=hour_of(since))
    counts = rows.values_list("bucket").annotate(runs=Sum("runs")).order_by()
    return Counter({bucket: runs for bucket, runs in counts if runs})


def sketched_percentiles(buckets: Counter, shares: tuple[float, ...]) -> list[timedelta | None]:
    """The durations at `shares` (0.5 for the median) of a duration sketch, each within a
    tenth or so of the true value."""
    total = sum(buckets.values())
    if not total:
        return [None for _ in shares]
    found = []
    for share in shares:
        rank, seen = max(math.ceil(share * total), 1), 0
        for bucket in sorted(buckets):
            seen += buckets[bucket]
            if seen >= rank:
                found.append(timedelta(seconds=bucket_seconds(bucket)))
                break
    return found


def totals(*keys: str) -> list[tuple]:
    """All-time sums of runs and seconds by `keys` (fields of RunTotal), for counters."""
    return list(
        RunTotal.objects.values_list(*keys)
        .annotate(runs=Sum("runs"), seconds=Sum("seconds"))
        .order_by(*keys)
    )


def since_by(since: datetime, *keys: str) -> list[tuple]:
    """Sums of runs by `keys` for the hours from the hour of `since`."""
    return list(
        RunHour.objects.filter(hour__gte=hour_of(since))
        .values_list(*keys)
        .annotate(runs=Sum("runs"))
        .order_by(*keys)
    )
