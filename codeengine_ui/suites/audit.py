"""The audit log's records of test cases, suites and monitors, and who changed each last
(a monitor acts as them), made from model signals however the change is made (see
`access.audit`)."""

import hashlib

from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.utils import timezone

from codeengine_ui.access.audit import acting_user, attribute_changes, record, watch_changes
from codeengine_ui.access.audit_details import name_references
from codeengine_ui.access.models import AuditAction
from codeengine_ui.catalog.models import Function

from .models import NOTIFICATION_FIELDS, SCHEDULE_FIELDS, Case, Suite

CASE_COLUMNS = frozenset(
    {"name", "function", "input_variables", "expectations", "snapshot", "ignore_paths"}
)
CASE_FIELDS = {
    "name": lambda case: case.name,
    "function": lambda case: case.function_id,
    "inputs": lambda case: case.input_variables,
    "expectations": lambda case: case.expectations,
    "snapshot": lambda case: case.snapshot,
    "ignored_paths": lambda case: case.ignore_paths,
}


def _case_name(case: Case) -> str:
    function = Function.objects.filter(pk=case.function_id).first()
    return f"case {case.name} of {function.label if function else 'a deleted function'}"


def shown_webhook(url: str) -> str:
    """A webhook address as the log shows it: a Slack or Teams address is its own secret,
    so only its host, its last characters and a digest of the whole (which tells two
    addresses apart) are kept."""
    if not url:
        return ""
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0]
    digest = hashlib.sha256(url.encode()).hexdigest()[:8]
    return f"{scheme}://{host}/…{url[-4:]} (#{digest})"


def _suite_part(changed: set[str]) -> str:
    """Which part of a suite a change touched, as its page says it."""
    if changed & SCHEDULE_FIELDS:
        return "the suite's schedule"
    if changed & NOTIFICATION_FIELDS:
        return "the suite's notifications"
    return "the suite"


def _suite_action(changed: set[str]) -> AuditAction:
    if changed <= {"name", "description"}:
        return AuditAction.SUITE_CHANGED
    return AuditAction.MONITOR_CHANGED


watch_changes(
    Case,
    "case",
    fields=CASE_FIELDS,
    target=_case_name,
    created=AuditAction.CASE_CREATED,
    changed=AuditAction.CASE_CHANGED,
    deleted=AuditAction.CASE_DELETED,
    columns=CASE_COLUMNS,
)
attribute_changes(Case, CASE_COLUMNS)
name_references(
    (AuditAction.CASE_CREATED, AuditAction.CASE_CHANGED, AuditAction.CASE_DELETED),
    "function",
    lambda ids: {f.pk: f"{f.label} {f.version}" for f in Function.objects.filter(pk__in=ids)},
)

watch_changes(
    Suite,
    "suite",
    fields={
        "name": lambda suite: suite.name,
        "description": lambda suite: suite.description,
        "schedule": lambda suite: suite.get_schedule_display(),
        "every_minutes": lambda suite: suite.every_minutes if suite.schedule == "minutes" else None,
        "at_time": lambda suite: suite.at_time.isoformat() if suite.at_time else None,
        "time_zone": lambda suite: suite.time_zone,
        "run_on_new_version": lambda suite: suite.run_on_new_version,
        "notify_emails": lambda suite: suite.notify_emails,
        "webhook_url": lambda suite: shown_webhook(suite.webhook_url),
    },
    target=lambda suite: f"suite {suite.name}",
    created=AuditAction.SUITE_CREATED,
    changed=_suite_action,
    deleted=AuditAction.SUITE_DELETED,
)
attribute_changes(
    Suite,
    frozenset({"name", "description"}) | SCHEDULE_FIELDS | NOTIFICATION_FIELDS,
    part=_suite_part,
)


@receiver(m2m_changed, sender=Suite.cases.through, dispatch_uid="audit_suite_cases")
def _cases_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs):
    """Cases added to or removed from a suite: recorded, and the suite's last change."""
    if action == "pre_clear":
        suites = [instance] if not reverse else list(instance.suites.all())
        cases = list(instance.cases.all()) if not reverse else [instance]
        change = "removed"
    elif action in ("post_add", "post_remove"):
        suites = [instance] if not reverse else list(Suite.objects.filter(pk__in=pk_set or []))
        cases = list(Case.objects.filter(pk__in=pk_set or [])) if not reverse else [instance]
        change = "added" if action == "post_add" else "removed"
    else:
        return
    if not cases:
        return
    names = sorted(_case_name(case).removeprefix("case ") for case in cases)
    now = timezone.now()
    for suite in suites:
        Suite.objects.filter(pk=suite.pk).update(
            changed_by=acting_user(), changed_at=now, changed_part="the suite's cases"
        )
        record(AuditAction.SUITE_CHANGED, f"suite {suite.name}", **{f"cases_{change}": names})
