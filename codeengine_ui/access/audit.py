"""The audit log: who changed access to Domo, and who failed to log in.

Recorded however the change is made (the console, Django's admin, a shell, a management
command), because it is read from model signals and compared with what was stored:

- access tokens: created, renamed, moved to another instance, secret replaced, enabled
  or disabled, expiry changed, grants changed (all members, users, groups), deleted;
  and instances: created, changed (subdomain, name, address), deleted (the catalog's
  `audit` module compares those, with the helpers here);
- users: created, changed (username, active, staff, superuser), password set, deleted;
  their roles (group membership) and their own permissions;
- groups (the roles are groups): created, renamed, deleted, and their permissions.

Recorded where they happen: a token's connection test, the re-encryption of every token
under a new key, pruned runs (the only way runs are deleted: the admin shows them read
only), and failed logins (one row per burst from one address, with a count), and sign-ins
with an identity provider that failed (counted the same way) or were refused.

Not recorded: QuerySet.update(), bulk_create() and raw SQL, which send no signals; the
console uses them only for fields that are not audited (last use, last check, progress).

The acting user and address come from the request being served, when there is one; a role
set from an identity provider's claims at login names the provider as the actor.
During a request, what was stored before each object's first change is kept, and compared
with what is stored once the view is done: a form's save and its grants make one record,
and a change that was rolled back makes none. Outside a request each change is compared
at once.
"""

import contextlib
import contextvars
import hashlib
import json
import logging
import threading

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone

from codeengine_ui.json_text import deeper_than, one_line

from .addresses import client_address
from .models import AuditAction, AuditEvent

logger = logging.getLogger(__name__)
_current_request: contextvars.ContextVar = contextvars.ContextVar("audit_request", default=None)
_acting_source: contextvars.ContextVar = contextvars.ContextVar("audit_source", default=None)
# Failed-login bursts name at most this many of the usernames tried.
_BURST_USERNAMES = 20


class AuditRequestMiddleware:
    """Makes the request being served known to audit records made by signals, and records
    the changes its view made once the view is done."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        changes = _Changes()
        request_token = _current_request.set(request)
        changes_token = _request_changes.set(changes)
        try:
            return self.get_response(request)
        finally:
            _request_changes.reset(changes_token)
            try:
                changes.compare_all()
            finally:
                _current_request.reset(request_token)


@contextlib.contextmanager
def changes_made_by(source: str):
    """Records made inside name `source` (an identity provider applying its claims) as the
    actor, instead of the user whose request is being served. A request may name its own
    source for every record it makes (`request.audit_source`: a provider's sign-in)."""
    token = _acting_source.set(source)
    try:
        yield
    finally:
        _acting_source.reset(token)


_acting_user: contextvars.ContextVar = contextvars.ContextVar("acting_user", default=None)


@contextlib.contextmanager
def acting_as(user):
    """Changes made inside are `user`'s: a command or a job that works for a person."""
    token = _acting_user.set(user)
    try:
        yield
    finally:
        _acting_user.reset(token)


def acting_user(request=None):
    """Who is making changes now: the one named by `acting_as`, else the user of `request`
    or of the request being served (an API key's user, for the API), else the person a
    request acts for while nobody is logged in (`request.audit_actor`: someone following
    their own password link); None when nobody is (a shell)."""
    user = _acting_user.get()
    if user is not None:
        return user
    request = request if request is not None else _current_request.get()
    user = getattr(request, "user", None)
    if getattr(user, "is_authenticated", False):
        return user
    return getattr(request, "audit_actor", None)


def record(
    action: AuditAction, target: str = "", *, request=None, actor=None, **details
) -> AuditEvent:
    request = request if request is not None else _current_request.get()
    source = _acting_source.get() or getattr(request, "audit_source", None)
    if actor is None and source is None:
        actor = acting_user(request)
    event = AuditEvent.objects.create(
        actor=actor,
        actor_name=actor.get_username() if actor is not None else (source or ""),
        action=action,
        target=target[:255],
        details=details,
        ip_address=client_address(request) if request is not None else None,
    )
    logger.info("audit: %s %s by %s", action, target, event.actor_name or "(system)")
    return event


# --- Comparing what was stored before a change with what is stored after ------------------

CREATED = "created"


class _Changes:
    """The stored state of each audited object before its first change, and how to compare
    it with the state after."""

    def __init__(self):
        self.before: dict[tuple[str, object], object] = {}
        self.comparisons: dict[tuple[str, object], object] = {}

    def remember(self, kind: str, pk, read_state) -> None:
        if (kind, pk) not in self.before:
            self.before[(kind, pk)] = read_state(pk)

    def created(self, kind: str, pk) -> None:
        self.before[(kind, pk)] = CREATED

    def mark(self, kind: str, pk, key: str) -> None:
        """Note something the stored state cannot show (a secret replaced, not re-encrypted)."""
        before = self.before.get((kind, pk))
        if isinstance(before, dict):
            before[key] = True

    def changed(self, kind: str, pk, compare) -> None:
        self.comparisons[(kind, pk)] = compare
        if _request_changes.get() is not self:
            self.compare_all()

    def forget(self, kind: str, pk) -> None:
        self.before.pop((kind, pk), None)
        self.comparisons.pop((kind, pk), None)

    def compare_all(self) -> None:
        comparisons, self.comparisons = self.comparisons, {}
        for (kind, pk), compare in comparisons.items():
            before = self.before.pop((kind, pk), None)
            if before is not None:
                compare(pk, before)


_request_changes: contextvars.ContextVar = contextvars.ContextVar("audit_changes", default=None)
_outside_requests = threading.local()


def pending_changes() -> _Changes:
    """The changes of the request being served, or of this thread outside a request."""
    changes = _request_changes.get()
    if changes is None:
        changes = _outside_requests.__dict__.setdefault("changes", _Changes())
    return changes


def changed_fields(update_fields, audited: frozenset) -> bool:
    return update_fields is None or bool(audited & set(update_fields))


# --- The objects a team edits: every field's value before and after -------------------------

# A value longer than this (as JSON), or nested deeper, is recorded by its size and digest.
KEPT_VALUE_CHARACTERS = 2000
KEPT_VALUE_DEPTH = 100


def kept_value(value):
    """A value as the audit log keeps it: whole when short, else its size and digest."""
    text = one_line(value)
    if len(text) <= KEPT_VALUE_CHARACTERS and not deeper_than(value, KEPT_VALUE_DEPTH):
        return value
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return {"characters": len(text), "sha256": digest}


def _differs(before, after) -> bool:
    """Whether two values differ as JSON, whatever the order of their keys (PostgreSQL's
    jsonb keeps its own): -0.0 and 0.0 do, though Python finds them equal."""
    return _canonical(before) != _canonical(after)


def _canonical(value) -> str:
    try:
        return json.dumps(value, sort_keys=True, default=str)
    except (RecursionError, ValueError):  # nested past the encoder's depth
        return one_line(value)


def watch_changes(
    model,
    kind: str,
    *,
    fields: dict,
    target,
    created: AuditAction,
    changed,
    deleted: AuditAction,
    columns: frozenset[str] | None = None,
) -> None:
    """Record `model`'s objects being created, changed and deleted, however it is done.
    `fields` names what is compared, each with how to read it (obj -> JSON value); a
    change records each changed field as [before, after]. `changed` is the action, or a
    function of the changed fields' names that gives it; `target` names an object.
    `columns` are the model's fields they are read from (by default `fields`' names): a
    save limited to other fields (`update_fields`) changes nothing recorded here."""
    saved_fields = columns if columns is not None else frozenset(fields)

    def state(obj) -> dict:
        return {name: kept_value(read(obj)) for name, read in fields.items()}

    def stored_state(pk) -> dict | None:
        obj = model._default_manager.filter(pk=pk).first()
        return None if obj is None else state(obj)

    def compare(pk, before) -> None:
        obj = model._default_manager.filter(pk=pk).first()
        if obj is None:
            return  # deleted meanwhile: post_delete recorded it
        after = state(obj)
        if before == CREATED:
            record(created, target(obj), **after)
            return
        differences = {name: [before[name], after[name]] for name in after
                       if _differs(before[name], after[name])}  # fmt: skip
        if differences:
            action = changed(set(differences)) if callable(changed) else changed
            record(action, target(obj), **differences)

    def before_save(sender, instance, update_fields=None, **kwargs):
        if instance.pk and changed_fields(update_fields, saved_fields):
            pending_changes().remember(kind, instance.pk, stored_state)

    def saved(sender, instance, created: bool, update_fields=None, **kwargs):
        if created:
            pending_changes().created(kind, instance.pk)
        elif not changed_fields(update_fields, saved_fields):
            return
        pending_changes().changed(kind, instance.pk, compare)

    def removed(sender, instance, **kwargs):
        pending_changes().forget(kind, instance.pk)
        record(deleted, target(instance), **state(instance))

    uid = f"audit_{kind}"
    pre_save.connect(before_save, sender=model, weak=False, dispatch_uid=f"{uid}_before")
    post_save.connect(saved, sender=model, weak=False, dispatch_uid=f"{uid}_saved")
    post_delete.connect(removed, sender=model, weak=False, dispatch_uid=f"{uid}_deleted")


def attribute_changes(model, fields: frozenset[str], *, part=None) -> None:
    """Keep on `model`'s objects who last changed any of `fields`, and when (`changed_by`,
    `changed_at`; with `part`, a function of the changed fields' names, also
    `changed_part`), however the change is made. The person is `acting_user()`; an object
    created outside a request is its creator's."""
    columns = {name: model._meta.get_field(name).attname for name in fields}

    def before_save(sender, instance, update_fields=None, raw=False, **kwargs):
        if raw or not changed_fields(update_fields, fields):
            return
        stored = None
        if instance.pk is not None:
            stored = model._default_manager.filter(pk=instance.pk).values(*columns.values())
            stored = stored.first()
        if stored is None:
            instance._fields_changed_now = set(fields)
            return
        instance._fields_changed_now = {
            name for name, column in columns.items()
            if _differs(stored[column], getattr(instance, column))
        }  # fmt: skip

    def saved(sender, instance, created: bool, raw=False, **kwargs):
        changed = instance.__dict__.pop("_fields_changed_now", None)
        if raw or not changed:
            return
        person = acting_user()
        if person is None and created:
            person = getattr(instance, "created_by", None)
        values = {"changed_by": person, "changed_at": timezone.now()}
        if part is not None:
            values["changed_part"] = part(changed)
        model._default_manager.filter(pk=instance.pk).update(**values)
        for name, value in values.items():
            setattr(instance, name, value)

    uid = f"attribute_{model._meta.label_lower}"
    pre_save.connect(before_save, sender=model, weak=False, dispatch_uid=f"{uid}_before")
    post_save.connect(saved, sender=model, weak=False, dispatch_uid=f"{uid}_saved")


# --- Users, groups and permissions ----------------------------------------------------------

User = get_user_model()
_USER_FIELDS = frozenset({"username", "is_active", "is_staff", "is_superuser", "password"})


def _user_state(pk) -> dict | None:
    user = User.objects.filter(pk=pk).first()
    if user is None:
        return None
    return {
        "username": user.get_username(),
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "password": user.password,
    }


def _compare_user(pk, before) -> None:
    user = User.objects.filter(pk=pk).first()
    if user is None:
        return
    target = f"user {user.get_username()}"
    after = _user_state(pk)
    if before == CREATED:
        flags = {key: after[key] for key in ("is_active", "is_staff", "is_superuser")}
        record(AuditAction.USER_CREATED, target, **flags)
        return
    changed = {
        key: [before[key], after[key]]
        for key in ("username", "is_active", "is_staff", "is_superuser")
        if before[key] != after[key]
    }
    if changed:
        record(AuditAction.USER_CHANGED, target, **changed)
    if before["password"] != after["password"]:
        record(AuditAction.PASSWORD_CHANGED, target)


@receiver(pre_save, sender=User, dispatch_uid="audit_user_before")
def _user_before(sender, instance, update_fields=None, **kwargs):
    if instance.pk and changed_fields(update_fields, _USER_FIELDS):
        pending_changes().remember("user", instance.pk, _user_state)


@receiver(post_save, sender=User, dispatch_uid="audit_user_saved")
def _user_saved(sender, instance, created: bool, update_fields=None, **kwargs):
    if created:
        pending_changes().created("user", instance.pk)
    elif not changed_fields(update_fields, _USER_FIELDS):
        return
    pending_changes().changed("user", instance.pk, _compare_user)


@receiver(post_delete, sender=User, dispatch_uid="audit_user_deleted")
def _user_deleted(sender, instance, **kwargs):
    pending_changes().forget("user", instance.pk)
    record(AuditAction.USER_DELETED, f"user {instance.get_username()}")


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="audit_roles")
def _groups_changed(sender, instance, action: str, pk_set, reverse: bool, **kwargs):
    """A user's groups are their roles: record who was added to or removed from which."""
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    change = {"post_add": "added", "post_remove": "removed", "pre_clear": "removed"}[action]
    if not reverse:  # user.groups.add(group...)
        groups = (
            instance.groups.all()
            if action == "pre_clear"
            else Group.objects.filter(pk__in=pk_set or [])
        )
        names = sorted(groups.values_list("name", flat=True))
        if names:
            record(AuditAction.ROLE_CHANGED, f"user {instance.get_username()}", **{change: names})
        return
    users = (
        instance.user_set.all()
        if action == "pre_clear"
        else User.objects.filter(pk__in=pk_set or [])
    )
    for user in users:
        record(AuditAction.ROLE_CHANGED, f"user {user.get_username()}", **{change: [instance.name]})


def _permissions(owner) -> list[str]:
    permissions = (
        owner.permissions if isinstance(owner, Group) else owner.user_permissions
    ).select_related("content_type")
    return sorted(f"{p.content_type.app_label}.{p.codename}" for p in permissions)


def _owner_name(owner) -> str:
    return f"group {owner.name}" if isinstance(owner, Group) else f"user {owner.get_username()}"


def _permissions_changed(sender, instance, action: str, reverse: bool, **kwargs):
    """Permissions given to a group or a user, compared before and after the change."""
    if reverse or not action.startswith(("pre_", "post_")):
        return
    if action.startswith("pre_"):
        instance._audit_permissions_before = _permissions(instance)
        return
    before = getattr(instance, "_audit_permissions_before", None)
    after = _permissions(instance)
    if before is not None and before != after:
        added, removed = sorted(set(after) - set(before)), sorted(set(before) - set(after))
        record(AuditAction.PERMISSIONS_CHANGED, _owner_name(instance), added=added, removed=removed)


m2m_changed.connect(
    _permissions_changed, sender=Group.permissions.through, dispatch_uid="audit_group_perms"
)
m2m_changed.connect(
    _permissions_changed, sender=User.user_permissions.through, dispatch_uid="audit_user_perms"
)


@receiver(pre_save, sender=Group, dispatch_uid="audit_group_before")
def _group_before(sender, instance: Group, **kwargs):
    if instance.pk:
        instance._audit_name_before = (
            Group.objects.filter(pk=instance.pk).values_list("name", flat=True).first()
        )


@receiver(post_save, sender=Group, dispatch_uid="audit_group_saved")
def _group_saved(sender, instance: Group, created: bool, **kwargs):
    if created:
        record(AuditAction.GROUP_CREATED, f"group {instance.name}")
    elif getattr(instance, "_audit_name_before", instance.name) != instance.name:
        record(
            AuditAction.GROUP_CHANGED,
            f"group {instance.name}",
            before=instance._audit_name_before,
            after=instance.name,
        )


@receiver(post_delete, sender=Group, dispatch_uid="audit_group_deleted")
def _group_deleted(sender, instance: Group, **kwargs):
    record(AuditAction.GROUP_DELETED, f"group {instance.name}")


# --- Failed logins --------------------------------------------------------------------------


def failed_logins_from(address: str | None) -> int:
    """Failed logins from `address` in its current burst (0 when it has been quiet for the
    lockout time)."""
    burst = _open_burst(address).only("repeated").first()
    return burst.repeated if burst else 0


def _open_burst(address: str | None, action: AuditAction = AuditAction.LOGIN_FAILED):
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    return AuditEvent.objects.filter(
        action=action, ip_address=address, last_at__gte=since
    ).order_by("-id")


def record_repeated(action: AuditAction, target: str, *, request, **details) -> None:
    """Records `action`, or counts it on the row of the same event from the same address
    in its current burst: anyone can repeat a failure, and a flood writes one row."""
    address = client_address(request) if request is not None else None
    with transaction.atomic():
        bursts = _open_burst(address, action).filter(target=target[:255]).select_for_update()
        burst = next((event for event in bursts[:20] if event.details == details), None)
        if burst is None:
            record(action, target, request=request, **details)
            return
        AuditEvent.objects.filter(pk=burst.pk).update(
            repeated=F("repeated") + 1, last_at=timezone.now()
        )


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _login_failed(sender, credentials: dict, request=None, **kwargs):
    """One row per burst of failures from an address: a flood writes one row, not many."""
    username = str(credentials.get("username", ""))[:150]
    address = client_address(request) if request is not None else None
    with transaction.atomic():
        burst = _open_burst(address).select_for_update().first()
        if burst is None:
            record(
                AuditAction.LOGIN_FAILED,
                f"username {username!r}",
                request=request,
                usernames=[username],
            )
            return
        usernames = burst.details.get("usernames", [])
        if username not in usernames and len(usernames) < _BURST_USERNAMES:
            usernames.append(username)
        AuditEvent.objects.filter(pk=burst.pk).update(
            repeated=F("repeated") + 1,
            last_at=timezone.now(),
            details={**burst.details, "usernames": usernames},
        )
