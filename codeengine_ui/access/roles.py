"""Who may do what: three roles, kept as Django groups.

- viewer: sees functions and the history; runs nothing.
- member: also runs functions with the tokens granted to them, saves functions and presets.
- admin: also manages instances, tokens, users and roles. Superusers are admins.

Beyond the roles, an admin gives members the "load" permission (`may_start_load_runs`).

Every view declares the least role it needs with `role_required`; the declaration is kept
on the view, so a test can walk every URL and check that each one is enforced.
"""

from enum import IntEnum
from functools import wraps

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db import transaction


class Role(IntEnum):
    NONE = 0
    VIEWER = 1
    MEMBER = 2
    ADMIN = 3

    @property
    def group_name(self) -> str:
        return self.name.lower()

    @property
    def label(self) -> str:
        return {Role.NONE: "No role", Role.VIEWER: "Viewer", Role.MEMBER: "Member",
                Role.ADMIN: "Admin"}[self]  # fmt: skip


ASSIGNABLE_ROLES = (Role.VIEWER, Role.MEMBER, Role.ADMIN)


def role_of(user) -> Role:
    """The user's highest role (cached on the user for the request). A deactivated account
    has none, whatever acts for it (a monitor, a queued run)."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", True):
        return Role.NONE
    cached = getattr(user, "_console_role", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        role = Role.ADMIN
    else:
        names = set(user.groups.values_list("name", flat=True))
        role = max((r for r in ASSIGNABLE_ROLES if r.group_name in names), default=Role.NONE)
    user._console_role = role
    return role


def give_role(user, role: Role) -> None:
    """Make `role` the user's only role (NONE: no role); what already holds is left alone,
    so the audit log records only real changes."""
    with transaction.atomic():
        others = [r.group_name for r in ASSIGNABLE_ROLES if r != role]
        user.groups.remove(*user.groups.filter(name__in=others))
        if role != Role.NONE and not user.groups.filter(name=role.group_name).exists():
            user.groups.add(Group.objects.get_or_create(name=role.group_name)[0])
        if user.is_staff != (role == Role.ADMIN):
            user.is_staff = role == Role.ADMIN  # admins may use the Django admin too
            user.save(update_fields=["is_staff"])
    user._console_role = None


def has_role(user, role: Role) -> bool:
    return role_of(user) >= role


def role_required(role: Role):
    """Refuse (403) a request whose user has less than `role`; anonymous users are sent to
    the login page by the login-required middleware before this runs."""

    def decorate(view):
        @wraps(view)
        def checked(request, *args, **kwargs):
            if not has_role(request.user, role):
                raise PermissionDenied(_refusal(request.user, role))
            return view(request, *args, **kwargs)

        checked.required_role = role
        return checked

    return decorate


def require_role(user, role: Role) -> None:
    """The same check inside a view, for actions that need more than viewing the page."""
    if not has_role(user, role):
        raise PermissionDenied(_refusal(user, role))


def _refusal(user, role: Role) -> str:
    if role_of(user) == Role.NONE:
        return "Your account has no role yet: ask an admin to make you a viewer or a member."
    return f"This needs the {role.label.lower()} role; yours is {role_of(user).label.lower()}."


LOAD_RUNS_CODENAME = "start_load_runs"


def may_start_load_runs(user) -> bool:
    """Load runs need the member role and the "load" permission an admin gives each member
    (admins have it). Read from the database each time: checked when a load run starts
    and at each approval, never from a cache."""
    role = role_of(user)
    if role >= Role.ADMIN:
        return True
    if role < Role.MEMBER:
        return False
    return user.user_permissions.filter(
        codename=LOAD_RUNS_CODENAME, content_type__app_label="access"
    ).exists()


def allow_load_runs(user, allowed: bool) -> None:
    """Give or take the "load" permission (the audit log records the change)."""
    permission = Permission.objects.get(
        codename=LOAD_RUNS_CODENAME, content_type__app_label="access"
    )
    if allowed:
        user.user_permissions.add(permission)
    else:
        user.user_permissions.remove(permission)
