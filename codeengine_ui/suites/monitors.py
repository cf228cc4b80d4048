"""Suites on a schedule: when each runs next, and running those due (`reports` tells the
team when a monitor starts failing or recovers).

The workers call `run_due_monitors` every 2 s, beside their heartbeat, never delaying it
(settings.RUN_WORKER_JOBS); a webhook waits at most its deadline. A slot is claimed with
one conditional UPDATE, so with several workers each slot runs once; slots missed while no
worker was up run once, then the schedule moves to the next future slot. Times are
computed in the suite's time zone, so "daily at 09:00" stays at 09:00 across
daylight-saving changes.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone

from .models import Schedule, Suite
from .services import run_automatically


def zone_of(suite: Suite) -> ZoneInfo:
    try:
        return ZoneInfo(suite.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def next_slot(suite: Suite, after: datetime) -> datetime | None:
    """The first slot of the suite's schedule strictly after `after` (None: unscheduled)."""
    if suite.schedule == Schedule.MINUTES:
        return after + timedelta(minutes=max(1, suite.every_minutes))
    zone = zone_of(suite)
    local = after.astimezone(zone)
    at = suite.at_time or datetime.min.time()
    if suite.schedule == Schedule.HOURLY:
        candidate = local.replace(minute=at.minute, second=0, microsecond=0).astimezone(UTC)
        while candidate <= after:
            candidate += timedelta(hours=1)  # in UTC: every real hour, across DST
        return candidate
    if suite.schedule == Schedule.DAILY:
        day = local.date()
        while True:
            # A time skipped by a DST change runs at the same instant an hour later; a time
            # that happens twice runs at its first occurrence.
            candidate = datetime.combine(day, at, tzinfo=zone).astimezone(UTC)
            if candidate > after:
                return candidate
            day += timedelta(days=1)
    return None


def schedule(suite: Suite, now: datetime | None = None) -> None:
    """Set when the suite runs next, from now (after its schedule changed)."""
    suite.next_run_at = next_slot(suite, now or timezone.now())


def run_due_monitors(now: datetime | None = None) -> int:
    """Start the suite runs whose slot has come; how many were started."""
    now = now or timezone.now()
    started = 0
    for suite in Suite.objects.filter(next_run_at__lte=now).exclude(schedule=""):
        following = next_slot(suite, now)
        claimed = Suite.objects.filter(pk=suite.pk, next_run_at=suite.next_run_at).update(
            next_run_at=following
        )
        if not claimed:
            continue  # another worker took this slot
        run_automatically(suite, scheduled=True)
        started += 1
    return started
