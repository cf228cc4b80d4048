"""Suites on a schedule: when each runs next, running those due, and telling the team when
a monitor starts failing or recovers (not on every failing run).

The workers call `run_due_monitors` at every heartbeat (settings.RUN_WORKER_EVERY_BEAT). A
slot is claimed with one conditional UPDATE, so with several workers each slot runs once;
slots missed while no worker was up run once, then the schedule moves to the next future
slot. Times are computed in the suite's time zone, so "daily at 09:00" stays at 09:00
across daylight-saving changes.
"""

import json
import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Q
from django.utils import timezone

from .models import MonitorState, Schedule, Suite, SuiteRun, Verdict
from .services import judge, start_suite_run

logger = logging.getLogger(__name__)
WEBHOOK_TIMEOUT_SECONDS = 10
WEBHOOK_REPLY_BYTES = 64 * 1024


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
    if recipients:
        try:
            send_mail(subject, text, None, recipients)
        except Exception:
            logger.exception("Monitor %s: the email could not be sent", suite)
    if suite.webhook_url:
        post_webhook(suite.webhook_url, text)


def webhook_refusal(url: str) -> str:
    """Why a webhook address may not be called ("" when it may): its host must be listed in
    MONITOR_WEBHOOK_HOSTS, and it must use HTTPS unless listed with its port."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return "This is not a web address."
    if parsed.userinfo:
        return "A webhook address may not hold a user name or password."
    host = parsed.host + (f":{parsed.port}" if parsed.port else "")
    allowed = settings.MONITOR_WEBHOOK_HOSTS
    if parsed.scheme == "https" and parsed.host in allowed:
        return ""
    if host in allowed and parsed.scheme in ("http", "https"):
        return ""
    return f"{parsed.host} is not in MONITOR_WEBHOOK_HOSTS: ask an admin to add it."


def post_webhook(url: str, text: str) -> bool:
    """Post a Slack- and Teams-compatible message ({"text": …}); no redirects, a deadline,
    and at most WEBHOOK_REPLY_BYTES of the reply read."""
    refusal = webhook_refusal(url)
    if refusal:
        logger.warning("Monitor webhook not called: %s", refusal)
        return False
    try:
        with (
            httpx.Client(timeout=WEBHOOK_TIMEOUT_SECONDS, follow_redirects=False) as client,
            client.stream(
                "POST",
                url,
                content=json.dumps({"text": text}),
                headers={"Content-Type": "application/json"},
            ) as response,
        ):
            read = 0
            for chunk in response.iter_bytes():
                read += len(chunk)
                if read > WEBHOOK_REPLY_BYTES:
                    break
            if not response.is_success:
                logger.warning("Monitor webhook answered HTTP %s", response.status_code)
            return response.is_success
    except httpx.HTTPError as error:
        logger.warning("Monitor webhook failed: %s", type(error).__name__)
        return False
