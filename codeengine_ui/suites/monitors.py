"""Suites on a schedule: when each runs next, running those due, and telling the team when
a monitor starts failing or recovers (not on every failing run).

The workers call `run_due_monitors` every 2 s, beside their heartbeat, never delaying it
(settings.RUN_WORKER_EVERY_BEAT); a webhook waits at most its deadline. A slot is claimed
with one conditional UPDATE, so with several workers each slot runs once; slots missed
while no worker was up run once, then the schedule moves to the next future slot. Times
are computed in the suite's time zone, so "daily at 09:00" stays at 09:00 across
daylight-saving changes.
"""

import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from codeengine_ui.notifications import send_notification

from .models import MonitorState, Schedule, Suite, SuiteRun, Verdict
from .services import judge, start_suite_run

logger = logging.getLogger(__name__)


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
    """Start the suite runs whose slot has come, and follow the scheduled runs still open;
    how many were started."""
    now = now or timezone.now()
    started = 0
    for suite in Suite.objects.filter(next_run_at__lte=now).exclude(schedule=""):
        following = next_slot(suite, now)
        claimed = Suite.objects.filter(pk=suite.pk, next_run_at=suite.next_run_at).update(
            next_run_at=following
        )
        if not claimed:
            continue  # another worker took this slot
        user = suite.run_as or suite.created_by
        if user is None:
            logger.warning("Monitor %s has nobody to run as: skipped", suite)
            continue
        start_suite_run(suite, user, scheduled=True)
        started += 1
    for suite_run in SuiteRun.objects.filter(scheduled=True, finished_at__isnull=True):
        judge(suite_run)
        suite_run.refresh_from_db()
        if suite_run.is_finished:
            report(suite_run)
    return started


def report(suite_run: SuiteRun) -> None:
    """After a scheduled run: tell the team if the monitor changed state."""
    suite = suite_run.suite
    results = list(suite_run.results.all())
    failing = [r for r in results if r.verdict != Verdict.PASS]
    state = MonitorState.FAILING if failing else MonitorState.PASSING
    changed = (
        Suite.objects.filter(pk=suite.pk)
        .filter(~Q(monitor_state=state))
        .update(monitor_state=state)
    )
    before = suite.monitor_state
    if not changed or (before == MonitorState.UNKNOWN and state == MonitorState.PASSING):
        return  # no change; a first pass is no news
    url = f"{settings.CONSOLE_BASE_URL}/suite-runs/{suite_run.pk}/"
    if state == MonitorState.FAILING:
        names = ", ".join(r.case_name for r in failing[:5]) + ("…" if len(failing) > 5 else "")
        count = f"{len(failing)} of {len(results)} cases"
        text = f"Monitor “{suite.name}” is failing: {count} ({names}). {url}"
    else:
        text = f"Monitor “{suite.name}” has recovered: all {len(results)} cases pass. {url}"
    notify(suite, f"[Code Engine Console] {text.split(':')[0]}", text)


def notify(suite: Suite, subject: str, text: str) -> None:
    recipients = [address.strip() for address in suite.notify_emails.split(",") if address.strip()]
    send_notification(subject, text, emails=recipients, webhook_url=suite.webhook_url)
