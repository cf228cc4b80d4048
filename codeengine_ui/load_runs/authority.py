"""Who may start a load run, decided when it is asked for, when an admin approves it and
again when a worker starts it: the person needs the "load" permission and the token; on a
production instance an admin must have confirmed it."""

from django.contrib.auth import get_user_model

from codeengine_ui.access.roles import Role, may_start_load_runs, role_of
from codeengine_ui.catalog.tokens import run_refusal

NO_PERMISSION = (
    "Starting load runs needs the \u201cload\u201d permission: an admin gives it on the Team page."
)


def person_refusal(user, token) -> str | None:
    """Why `user` may not start a load run with `token` now, or None."""
    if user is None:
        return "The account that asked for this load run was deleted."
    fresh = get_user_model().objects.filter(pk=user.pk).first()  # never a cached role or grant
    if fresh is None or not may_start_load_runs(fresh):
        name = user.get_username()
        return f"{name} may not start load runs. {NO_PERMISSION}"
    refusal = run_refusal(token, fresh)
    return refusal.message if refusal is not None else None


def start_refusal(load_run) -> str | None:
    """Why a queued load run may not start now (the worker asks), or None."""
    if load_run.function is None:
        return "The function was deleted before the load run started."
    if load_run.api_key is not None and load_run.api_key.revoked_at is not None:
        return f"The API key \u201c{load_run.api_key_name}\u201d was revoked before it started."
    refusal = person_refusal(load_run.started_by, load_run.token)
    if refusal:
        return refusal
    if load_run.production:
        approver = load_run.approved_by
        if approver is None:
            return "It runs against a production instance and no admin confirmed it."
        approver = get_user_model().objects.filter(pk=approver.pk).first()
        if approver is None or role_of(approver) < Role.ADMIN:
            return "The admin who confirmed it against production is no longer an admin."
    return None
