"""Starting, approving, declining and stopping load runs: the one way in, for the page, the
API and the command line. Each raises `LoadRunRefused` with a sentence saying why not."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from codeengine_ui.access.audit import record
from codeengine_ui.access.models import AuditAction
from codeengine_ui.access.roles import Role, role_of
from codeengine_ui.catalog.models import AccessToken, Function
from codeengine_ui.parameters.types import inputs_problems
from codeengine_ui.runs.services import InputsDoNotFit

from .authority import person_refusal
from .models import IN_PROGRESS, LoadRun, LoadRunStatus
from .tasks import run_load

MOST_P95_MS = 600_000  # a threshold past Code Engine's own time limits means nothing


class LoadRunRefused(Exception):
    """A load run not started (or not changed); `str()` says why, in a sentence. `field`
    names the setting at fault, when one is."""

    def __init__(self, message: str, field: str = "", status: int = 400):
        super().__init__(message)
        self.field, self.status = field, status


class NeedsConfirmation(LoadRunRefused):
    """An admin starting a load run against production must confirm it."""


@dataclass
class LoadSettings:
    function: Function
    token: AccessToken
    inputs: dict[str, Any]
    users: int
    duration_seconds: int | None = None
    total_calls: int | None = None
    ramp_up_seconds: int = 0
    p95_below_ms: int | None = None
    errors_below_percent: Decimal | None = None
    confirm_production: bool = False


def bounds_problems(plan: LoadSettings) -> list[tuple[str, str]]:
    """Every setting outside its bounds, as (field, message)."""
    problems = []
    most_users = settings.LOAD_RUN_MAX_USERS
    if not 1 <= plan.users <= most_users:
        problems.append(("users", f"Choose from 1 to {most_users:,} virtual users."))
    if (plan.duration_seconds is None) == (plan.total_calls is None):
        problems.append(("duration_seconds", "Give either a duration or a number of calls."))
    longest = settings.LOAD_RUN_MAX_SECONDS
    if plan.duration_seconds is not None and not 1 <= plan.duration_seconds <= longest:
        problems.append(("duration_seconds", f"Choose from 1 to {longest:,} seconds."))
    most_calls = settings.LOAD_RUN_MAX_CALLS
    if plan.total_calls is not None and not 1 <= plan.total_calls <= most_calls:
        problems.append(("total_calls", f"Choose from 1 to {most_calls:,} calls."))
    ramp_limit = plan.duration_seconds or longest
    if not 0 <= plan.ramp_up_seconds <= ramp_limit:
        problems.append(
            ("ramp_up_seconds", f"Ramp up over 0 to {ramp_limit:,} seconds (the duration).")
        )
    if plan.p95_below_ms is not None and not 1 <= plan.p95_below_ms <= MOST_P95_MS:
        problems.append(
            ("p95_below_ms", f"A p95 threshold is from 1 to {MOST_P95_MS:,} ms (10 minutes).")
        )
    if plan.errors_below_percent is not None and not 0 < plan.errors_below_percent <= 100:
        problems.append(
            ("errors_below_percent", "An error-rate threshold is above 0 and up to 100 %.")
        )
    return problems


def start_load_run(plan: LoadSettings, user, *, api_key=None) -> LoadRun:
    """Queue a load run as `user`; against a production instance, a member's waits for an
    admin's approval and an admin's needs `confirm_production`."""
    function, token = plan.function, plan.token
    if token.instance_id != function.instance_id:
        raise LoadRunRefused("This token belongs to another instance than the function.", "token")
    refusal = person_refusal(user, token)
    if refusal:
        raise LoadRunRefused(refusal, status=403)
    problems = bounds_problems(plan)
    if problems:
        field, message = problems[0]
        raise LoadRunRefused(message, field)
    in_progress = LoadRun.objects.filter(started_by=user, status__in=IN_PROGRESS).count()
    most = settings.LOAD_RUN_MAX_IN_PROGRESS
    if in_progress >= most:
        raise LoadRunRefused(
            f"You have {in_progress} load run{'s' if in_progress != 1 else ''} not finished "
            f"yet and may have {most} (LOAD_RUN_MAX_IN_PROGRESS): wait, or stop one.",
            status=429,
        )
    input_problems = inputs_problems(function.parameters, plan.inputs)
    if input_problems:
        raise InputsDoNotFit(input_problems)
    instance = function.instance
    is_admin = role_of(user) >= Role.ADMIN
    if instance.is_production and is_admin and not plan.confirm_production:
        raise NeedsConfirmation(
            f"{instance} is marked production: confirm that this load run may call it.",
            "confirm_production",
        )
    users, cap_note = plan.users, ""
    budget = instance.concurrency_budget
    if budget is not None and users > budget:
        users = budget
        cap_note = (
            f"Capped to {budget:,} virtual user{'s' if budget != 1 else ''}: {instance} allows "
            f"{budget:,} run{'s' if budget != 1 else ''} at once (its budget, shared with "
            "every other run on it)."
        )
    load_run = LoadRun(
        function=function,
        function_name=function.display_name or function.function_name,
        instance=instance,
        instance_name=str(instance),
        production=instance.is_production,
        token=token,
        version=function.version,
        input_variables=plan.inputs,
        users_requested=plan.users,
        users=users,
        cap_note=cap_note,
        duration_seconds=plan.duration_seconds,
        total_calls=plan.total_calls,
        ramp_up_seconds=plan.ramp_up_seconds,
        p95_below_ms=plan.p95_below_ms,
        errors_below_percent=plan.errors_below_percent,
        started_by=user,
        api_key=api_key,
        api_key_name=api_key.name if api_key is not None else "",
    )
    with transaction.atomic():
        if instance.is_production and not is_admin:
            load_run.status = LoadRunStatus.AWAITING_APPROVAL
            load_run.save()
            record(AuditAction.LOAD_RUN_REQUESTED, _target(load_run), **_details(load_run))
            return load_run
        if instance.is_production:
            load_run.approved_by, load_run.approved_at = user, timezone.now()
        load_run.save()
        if instance.is_production:
            record(AuditAction.LOAD_RUN_CONFIRMED, _target(load_run), **_details(load_run))
        _queue(load_run)
    return load_run


def approve(load_run: LoadRun, admin) -> None:
    """An admin lets a member's load run on production start, if the member still may."""
    _check_decider(load_run, admin)
    refusal = person_refusal(load_run.started_by, load_run.token)
    if refusal:
        raise LoadRunRefused(refusal, status=409)
    with transaction.atomic():
        updated = LoadRun.objects.filter(
            pk=load_run.pk, status=LoadRunStatus.AWAITING_APPROVAL
        ).update(status=LoadRunStatus.QUEUED, approved_by=admin, approved_at=timezone.now())
        if not updated:
            raise LoadRunRefused("This load run is no longer waiting for an admin.", status=409)
        load_run.refresh_from_db()
        record(AuditAction.LOAD_RUN_APPROVED, _target(load_run), **_details(load_run))
        _queue(load_run)


def decline(load_run: LoadRun, admin) -> None:
    _check_decider(load_run, admin)
    with transaction.atomic():
        updated = LoadRun.objects.filter(
            pk=load_run.pk, status=LoadRunStatus.AWAITING_APPROVAL
        ).update(
            status=LoadRunStatus.DECLINED,
            finished_at=timezone.now(),
            approved_by=admin,
            status_message=f"Declined by {admin.get_username()}.",
        )
        if not updated:
            raise LoadRunRefused("This load run is no longer waiting for an admin.", status=409)
        load_run.refresh_from_db()
        record(AuditAction.LOAD_RUN_DECLINED, _target(load_run), **_details(load_run))


def stop(load_run: LoadRun, user) -> None:
    """Stop a load run (its starter or an admin): one not started yet never starts; one
    running stops its calls within a moment and keeps what it measured."""
    if user != load_run.started_by and role_of(user) < Role.ADMIN:
        raise LoadRunRefused("Only the person who started it or an admin may stop it.", status=403)
    waiting = (LoadRunStatus.AWAITING_APPROVAL, LoadRunStatus.QUEUED)
    ended = LoadRun.objects.filter(pk=load_run.pk, status__in=waiting).update(
        status=LoadRunStatus.STOPPED,
        finished_at=timezone.now(),
        stop_requested=True,
        status_message=f"Stopped by {user.get_username()} before it started.",
    )
    if not ended:
        LoadRun.objects.filter(pk=load_run.pk, status=LoadRunStatus.RUNNING).update(
            stop_requested=True
        )
    load_run.refresh_from_db()


def _check_decider(load_run: LoadRun, admin) -> None:
    if role_of(admin) < Role.ADMIN:
        raise LoadRunRefused("Only an admin may approve or decline a load run.", status=403)


def _queue(load_run: LoadRun) -> None:
    def enqueue() -> None:
        result = run_load.enqueue(load_run.pk)
        LoadRun.objects.filter(pk=load_run.pk).update(task_id=str(result.id))

    transaction.on_commit(enqueue)


def _target(load_run: LoadRun) -> str:
    return f"load run #{load_run.pk} of {load_run.function_name} on {load_run.instance_name}"


def _details(load_run: LoadRun) -> dict:
    return {"plan": load_run.plan_text, "asked_by": getattr(load_run.started_by, "username", "")}
