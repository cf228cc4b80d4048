"""Telling people about suites: the team when a monitor starts failing or recovers (not on
every failing run), and a person whose monitor someone else changed. A notification that
cannot go out is recorded in the audit log and shown on the suite's page."""

from django.conf import settings
from django.db.models import Q
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
    notify(suite, f"[Code Engine Console] {subject}", text)


def notify(suite: Suite, subject: str, text: str) -> None:
    """Send to the suite's addresses and webhook; what could not be sent is recorded."""
    recipients = [address.strip() for address in suite.notify_emails.split(",") if address.strip()]
    failures = send_notification(subject, text, emails=recipients, webhook_url=suite.webhook_url)
    _record_failures(suite, subject, failures)


def tell_person(user, suite: Suite | None, subject: str, text: str) -> None:
    """Tell one person (by e-mail, when they have an address) about their suite."""
    if user is None or not user.email:
        return
    failures = send_notification(subject, text, emails=[user.email], webhook_url="")
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
