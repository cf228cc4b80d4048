"""Recording security-relevant actions in the audit log.

Actions taken in the console's own views are recorded there, with the request. Changes
made anywhere else (Django's admin, the shell) reach the log through model signals; the
acting user and address come from the request being served, when there is one.
"""

import contextvars
import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from codeengine_ui.catalog.models import Instance

from .models import AuditAction, AuditEvent

logger = logging.getLogger(__name__)
_current_request: contextvars.ContextVar = contextvars.ContextVar("audit_request", default=None)


class AuditRequestMiddleware:
    """Makes the request being served known to audit records made by signals."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


def record(
    action: AuditAction, target: str = "", *, request=None, actor=None, **details
) -> AuditEvent:
    request = request if request is not None else _current_request.get()
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    event = AuditEvent.objects.create(
        actor=actor,
        actor_name=actor.get_username() if actor is not None else "",
        action=action,
        target=target[:255],
        details=details,
        ip_address=request.META.get("REMOTE_ADDR") if request is not None else None,
    )
    logger.info("audit: %s %s by %s", action, target, event.actor_name or "(system)")
    return event


@receiver(post_save, sender=Instance, dispatch_uid="audit_instance_saved")
def _instance_saved(sender, instance: Instance, created: bool, **kwargs):
    action = AuditAction.INSTANCE_CREATED if created else AuditAction.INSTANCE_CHANGED
    record(action, f"{instance} ({instance.base_url})")


@receiver(post_delete, sender=Instance, dispatch_uid="audit_instance_deleted")
def _instance_deleted(sender, instance: Instance, **kwargs):
    record(AuditAction.INSTANCE_DELETED, f"{instance} ({instance.base_url})")


@receiver(m2m_changed, sender=get_user_model().groups.through, dispatch_uid="audit_roles")
def _groups_changed(sender, instance, action: str, pk_set, reverse: bool, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear") or reverse:
        return
    from django.contrib.auth.models import Group

    names = sorted(Group.objects.filter(pk__in=pk_set or []).values_list("name", flat=True))
    change = {"post_add": "added", "post_remove": "removed", "post_clear": "cleared"}[action]
    if names or change == "cleared":
        record(AuditAction.ROLE_CHANGED, f"user {instance.get_username()}", **{change: names})


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _login_failed(sender, credentials: dict, request=None, **kwargs):
    record(
        AuditAction.LOGIN_FAILED, f"username {credentials.get('username', '')!r}", request=request
    )
