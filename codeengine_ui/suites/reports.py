"""Telling people about suites: the team when a monitor starts failing or recovers (not on
every failing run), and a person whose monitor someone else changed.

Messages go out from tasks, so a slow mail server or a webhook that drips its answer holds
neither a page nor the worker's jobs (judging, monitors). A notification that cannot go
out is recorded in the audit log and shown on the suite's page."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.tasks import task
from django.utils import timezone

from codeengine_ui.access.audit import record
from codeengine_ui.access.models import AuditAction
from codeengine_ui.notifications import send_notification

from .models import MonitorState, Suite, SuiteRun, Verdict


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
        subject = f"Monitor “{suite.name}” is failing"
        text = f"{subject}: {count} ({names}). {url}"
    else:
        subject = f"Monitor “{suite.name}” has recovered"
        text = f"{subject}: all {len(results)} cases pass. {url}"
    notify_team.enqueue(suite.pk, f"[Code Engine Console] {subject}", text)


@task()
def notify_team(suite_id: int, subject: str, text: str) -> None:
    """Send to the suite's addresses and webhook; what could not be sent is recorded."""
    suite = Suite.objects.filter(pk=suite_id).first()
    if suite is None:
        return
    recipients = [address.strip() for address in suite.notify_emails.split(",") if address.strip()]
    failures = send_notification(subject, text, emails=recipients, webhook_url=suite.webhook_url)
    _record_failures(suite, subject, failures)


@task()
def tell_monitor_owner(
    user_id: int, suite_name: str, suite_id: int | None, change: str, now_acts_as: str
) -> None:
    """Tell the person a monitor acted as (by e-mail, when they have an address) that
    someone else changed it."""
    user = get_user_model().objects.filter(pk=user_id).first()
    suite = Suite.objects.filter(pk=suite_id).first() if suite_id else None
    if user is None or not user.email:
        return
    if suite is None:
        told = f"{change}, which acted as you."
        lines = [told]
    else:
        told = f"{change} of your monitor “{suite_name}”."
        lines = [
            told,
            f"Its automatic runs acted as you; now they act as {now_acts_as}, with that "
            "person's role and tokens.",
            f"{settings.CONSOLE_BASE_URL}/suites/{suite.pk}/",
        ]
    subject = f"[Code Engine Console] {told}"
    failures = send_notification(subject, "\n".join(lines), emails=[user.email], webhook_url="")
    _record_failures(suite, subject, failures)


def _record_failures(suite: Suite | None, subject: str, failures: list[str]) -> None:
    if not failures:
        return
    reason = "; ".join(failures)
    if suite is not None:
        Suite.objects.filter(pk=suite.pk).update(
            notification_failed_at=timezone.now(), notification_failure=reason[:500]
        )
    target = f"suite {suite.name}" if suite is not None else "a deleted suite"
    record(AuditAction.NOTIFICATION_FAILED, target, subject=subject, why=reason)
