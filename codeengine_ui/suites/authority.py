"""Whom a suite's automatic runs act as.

A run that a schedule or a new release starts acts as the person who last changed anything
it runs: the suite (its cases, schedule or notifications), one of its cases, or a function
that a case calls (its instance, version, token or definition). Whoever changes a monitor
vouches for it with their own role and token grants, which are checked as each of its runs
starts; nobody can make it run something with more authority than their own. When someone
changes a monitor that acted as another person, that person is told and the change is
recorded in the audit log.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver
from django.utils import timezone

from codeengine_ui.access.audit import acting_user, record
from codeengine_ui.access.models import AuditAction
from codeengine_ui.catalog.models import Function

from .models import Case, Suite
from .reports import tell_monitor_owner


def person_name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else "nobody"


def _day(moment: datetime | None) -> str:
    if moment is None:
        return "an unknown day"
    local = timezone.localtime(moment)
    return f"{local.day} {local:%b %Y}"


@dataclass(frozen=True)
class Authority:
    """The person a suite's automatic runs act as, and the change that makes it them."""

    user: object | None
    what: str  # "the case “greet excited”", "the suite's schedule"
    when: datetime | None

    @property
    def because(self) -> str:
        return f"who last changed {self.what} on {_day(self.when)}"

    def __str__(self) -> str:
        return f"{person_name(self.user)}, {self.because}"

    @property
    def refusal(self) -> str:
        """Why nobody can run it ("" when someone can)."""
        if self.user is not None:
            return ""
        return (
            f"The last change to what this suite runs ({self.what}, on {_day(self.when)}) was "
            "made outside the console or by an account since deleted, so its automatic runs "
            "act as nobody and do not start: a member who saves the suite makes them theirs."
        )


def acting_person(suite: Suite) -> Authority:
    """Who the suite's automatic runs act as now, and why."""
    candidates = [(suite.changed_at, suite.changed_by_id, suite.changed_part or "the suite")]
    cases = suite.cases.select_related("function").only(
        "name", "changed_at", "changed_by", "function__display_name",
        "function__function_name", "function__changed_at", "function__changed_by",
    )  # fmt: skip
    for case in cases:
        candidates.append((case.changed_at, case.changed_by_id, f"the case “{case.name}”"))
        function = case.function
        candidates.append(
            (function.changed_at, function.changed_by_id, f"the function “{function.label}”")
        )
    earliest = datetime.min.replace(tzinfo=timezone.get_current_timezone())
    when, user_id, what = max(candidates, key=lambda candidate: candidate[0] or earliest)
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    return Authority(user=user, what=what, when=when)


# --- Telling a person whose monitor someone else changed ----------------------------------


def _monitors(suites) -> list[Suite]:
    return [suite for suite in suites if suite.is_monitor]


def _before_change(instance, suites, what: str, *, deleted: bool = False) -> None:
    """Note, on the object about to change, who the monitors among `suites` act as now;
    `_after_change` compares once the change is stored."""
    before = [(suite.pk, suite.name, acting_person(suite)) for suite in _monitors(suites)]
    if before:
        instance._monitors_before = (before, acting_user(), what, deleted)


def _after_change(instance) -> None:
    """The change is stored (and attributed): once it is committed (at once outside a
    transaction), the person it took each monitor from, or whose monitor lost a part, is
    told. A change that several signals announce is told once: after the first, its
    maker is the one the monitor acts as."""
    noted = instance.__dict__.pop("_monitors_before", None)
    if noted is not None:
        transaction.on_commit(partial(_tell_those_displaced, *noted))


def _tell_those_displaced(before: list, changer, what: str, deleted: bool) -> None:
    for suite_id, name, was in before:
        if was.user is None or (changer is not None and changer.pk == was.user.pk):
            continue
        suite = Suite.objects.filter(pk=suite_id).first()
        now = acting_person(suite) if suite is not None else None
        if not deleted and now is not None and now.user == was.user:
            continue  # saved as it was: nothing changed hands
        change = f"deleted {what}" if deleted else f"changed {what}"
        if now is not None:
            record(
                AuditAction.MONITOR_CHANGED,
                f"suite {name}",
                change=change,
                acted_as=[person_name(was.user), person_name(now.user)],
            )
        tell_monitor_owner.enqueue(
            was.user.pk,
            name,
            suite_id if suite is not None else None,
            f"{person_name(changer)} {change}",
            str(now) if now is not None else "",
        )


@receiver(pre_save, sender=Case, dispatch_uid="authority_case")
def _case_changes(sender, instance: Case, raw=False, **kwargs):
    if instance.pk and not raw:
        suites = Suite.objects.filter(cases=instance.pk)
        _before_change(instance, suites, f"the case “{instance.name}”")


@receiver(pre_delete, sender=Case, dispatch_uid="authority_case_deleted")
def _case_deleted(sender, instance: Case, **kwargs):
    suites = Suite.objects.filter(cases=instance.pk)
    _before_change(instance, suites, f"the case “{instance.name}”", deleted=True)


@receiver(pre_save, sender=Suite, dispatch_uid="authority_suite")
def _suite_changes(sender, instance: Suite, raw=False, **kwargs):
    if instance.pk and not raw:
        suites = Suite.objects.filter(pk=instance.pk)
        _before_change(instance, suites, f"the suite “{instance.name}”")


@receiver(pre_delete, sender=Suite, dispatch_uid="authority_suite_deleted")
def _suite_deleted(sender, instance: Suite, **kwargs):
    _before_change(instance, [instance], f"the monitor “{instance.name}”", deleted=True)


@receiver(pre_save, sender=Function, dispatch_uid="authority_function")
def _function_changes(sender, instance: Function, raw=False, **kwargs):
    if instance.pk and not raw:
        suites = Suite.objects.filter(cases__function=instance.pk).distinct()
        _before_change(instance, suites, f"the function “{instance.label}”")


@receiver(m2m_changed, sender=Suite.cases.through, dispatch_uid="authority_suite_cases")
def _suite_cases_change(sender, instance, action: str, reverse: bool, pk_set, **kwargs):
    if action in ("pre_add", "pre_remove", "pre_clear"):
        if reverse:
            suites = Suite.objects.filter(Q(pk__in=pk_set or []) | Q(cases=instance.pk)).distinct()
        else:
            suites = [instance]
        _before_change(instance, suites, "the suite's cases")
    elif action in ("post_add", "post_remove", "post_clear"):
        _after_change(instance)


# Connected after the attribution's own receivers (see `audit`), so that the comparison
# sees who the change is attributed to.
for _model in (Case, Suite, Function):
    post_save.connect(
        lambda sender, instance, raw=False, **kwargs: raw or _after_change(instance),
        sender=_model,
        weak=False,
        dispatch_uid=f"authority_after_{_model._meta.label_lower}",
    )
    post_delete.connect(
        lambda sender, instance, **kwargs: _after_change(instance),
        sender=_model,
        weak=False,
        dispatch_uid=f"authority_after_delete_{_model._meta.label_lower}",
    )
