"""The audit log's records of access tokens, their grants, instances, saved functions and
presets, made from model signals however the change is made (see `access.audit`)."""

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from codeengine_ui.access.audit import (
    CREATED,
    attribute_changes,
    changed_fields,
    pending_changes,
    record,
    watch_changes,
)
from codeengine_ui.access.audit_details import name_references
from codeengine_ui.access.models import AuditAction

from .models import AccessToken, Function, InputPreset, Instance

# --- Access tokens -------------------------------------------------------------------------

_TOKEN_FIELDS = frozenset(
    {"label", "instance", "is_active", "expires_on", "shared_with_members", "encrypted_value"}
)


def _grants(token: AccessToken) -> dict:
    return {
        "all_members": token.shared_with_members,
        "users": sorted(token.granted_users.values_list("username", flat=True)),
        "groups": sorted(token.granted_groups.values_list("name", flat=True)),
    }


def _token_state(pk) -> dict | None:
    token = AccessToken.objects.select_related("instance").filter(pk=pk).first()
    if token is None:
        return None
    return {
        "label": token.label,
        "instance": str(token.instance),
        "is_active": token.is_active,
        "expires_on": token.expires_on.isoformat() if token.expires_on else None,
        "secret": (token.encrypted_value, token.last_four),
        "grants": _grants(token),
    }


def _compare_token(pk, before) -> None:
    token = AccessToken.objects.select_related("instance").filter(pk=pk).first()
    if token is None:
        return  # deleted meanwhile: post_delete recorded it
    after = _token_state(pk)
    target = token.description
    if before == CREATED:
        record(AuditAction.TOKEN_CREATED, target, **after["grants"], expires_on=after["expires_on"])
        return
    for key, action in (
        ("label", AuditAction.TOKEN_RENAMED),
        ("instance", AuditAction.TOKEN_MOVED),
    ):
        if before[key] != after[key]:
            record(action, target, before=before[key], after=after[key])
    secret_replaced = before.get("secret_replaced") or before["secret"][1] != after["secret"][1]
    if before["secret"] != after["secret"] and secret_replaced:
        record(AuditAction.TOKEN_ROTATED, target)
    if before["is_active"] != after["is_active"]:
        enabled = after["is_active"]
        record(AuditAction.TOKEN_ENABLED if enabled else AuditAction.TOKEN_DISABLED, target)
    if before["expires_on"] != after["expires_on"]:
        record(
            AuditAction.TOKEN_EXPIRY_CHANGED,
            target,
            before=before["expires_on"],
            after=after["expires_on"],
        )
    if before["grants"] != after["grants"]:
        record(AuditAction.TOKEN_GRANTED, target, before=before["grants"], after=after["grants"])


@receiver(pre_save, sender=AccessToken, dispatch_uid="audit_token_before")
def _token_before(sender, instance: AccessToken, update_fields=None, **kwargs):
    if instance.pk and changed_fields(update_fields, _TOKEN_FIELDS):
        pending_changes().remember("token", instance.pk, _token_state)


@receiver(post_save, sender=AccessToken, dispatch_uid="audit_token_saved")
def _token_saved(sender, instance: AccessToken, created: bool, update_fields=None, **kwargs):
    changes = pending_changes()
    if created:
        changes.created("token", instance.pk)
    elif not changed_fields(update_fields, _TOKEN_FIELDS):
        return
    if getattr(instance, "_secret_replaced", False):
        instance._secret_replaced = False
        changes.mark("token", instance.pk, "secret_replaced")
    changes.changed("token", instance.pk, _compare_token)


@receiver(post_delete, sender=AccessToken, dispatch_uid="audit_token_deleted")
def _token_deleted(sender, instance: AccessToken, **kwargs):
    pending_changes().forget("token", instance.pk)
    try:
        target = instance.description
    except Instance.DoesNotExist:
        target = f"{instance.label} ({instance.masked})"
    record(AuditAction.TOKEN_DELETED, target)


def _tokens_of_grant_change(instance, reverse: bool, pk_set) -> list:
    """The tokens whose grants a change touches: the token itself, or (from a user's or a
    group's side) the tokens added, removed, or all of theirs when cleared."""
    if not reverse:
        return [instance.pk]
    if pk_set is not None:
        return list(pk_set)
    return list(instance.granted_tokens.values_list("pk", flat=True))


def _grants_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs):
    changes = pending_changes()
    if action.startswith("pre_"):
        for pk in _tokens_of_grant_change(instance, reverse, pk_set):
            changes.remember("token", pk, _token_state)
    elif action.startswith("post_"):
        for pk in _tokens_of_grant_change(instance, reverse, pk_set):
            changes.changed("token", pk, _compare_token)


m2m_changed.connect(
    _grants_changed, sender=AccessToken.granted_users.through, dispatch_uid="audit_grant_users"
)
m2m_changed.connect(
    _grants_changed, sender=AccessToken.granted_groups.through, dispatch_uid="audit_grant_groups"
)


# --- Instances ------------------------------------------------------------------------------

_INSTANCE_FIELDS = frozenset({"name", "display_name", "custom_base_url", "is_production"})


def _instance_state(pk) -> dict | None:
    instance = Instance.objects.filter(pk=pk).first()
    if instance is None:
        return None
    return {"name": instance.name, "display_name": instance.display_name,
            "address": instance.base_url, "production": instance.is_production}  # fmt: skip


def _compare_instance(pk, before) -> None:
    instance = Instance.objects.filter(pk=pk).first()
    if instance is None:
        return
    target = f"{instance} ({instance.base_url})"
    if before == CREATED:
        record(AuditAction.INSTANCE_CREATED, target)
        return
    after = _instance_state(pk)
    changed = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if changed:
        record(AuditAction.INSTANCE_CHANGED, target, **changed)


@receiver(pre_save, sender=Instance, dispatch_uid="audit_instance_before")
def _instance_before(sender, instance: Instance, update_fields=None, **kwargs):
    if instance.pk and changed_fields(update_fields, _INSTANCE_FIELDS):
        pending_changes().remember("instance", instance.pk, _instance_state)


@receiver(post_save, sender=Instance, dispatch_uid="audit_instance_saved")
def _instance_saved(sender, instance: Instance, created: bool, **kwargs):
    if created:
        pending_changes().created("instance", instance.pk)
    pending_changes().changed("instance", instance.pk, _compare_instance)


@receiver(post_delete, sender=Instance, dispatch_uid="audit_instance_deleted")
def _instance_deleted(sender, instance: Instance, **kwargs):
    pending_changes().forget("instance", instance.pk)
    record(AuditAction.INSTANCE_DELETED, f"{instance} ({instance.base_url})")


# --- Saved functions and presets ------------------------------------------------------------


def _function_name(function: Function) -> str:
    try:
        instance = function.instance.name
    except Instance.DoesNotExist:
        instance = "a deleted instance"
    return f"function {function.label} {function.version} on {instance}"


def _token_label(function: Function) -> str | None:
    if function.default_token_id is None:
        return None
    token = AccessToken.objects.filter(pk=function.default_token_id).first()
    return token.description if token else f"token #{function.default_token_id}"


watch_changes(
    Function,
    "function",
    fields={
        "instance": lambda f: f.instance_id,
        "package_id": lambda f: f.package_id,
        "version": lambda f: f.version,
        "function_name": lambda f: f.function_name,
        "display_name": lambda f: f.display_name,
        "app_alias": lambda f: f.app_alias,
        "entity_sub_type": lambda f: f.entity_sub_type,
        "default_token": _token_label,
        "key_inputs": lambda f: f.key_inputs,
        "parameters": lambda f: f.parameters,
        "output": lambda f: f.output,
    },
    target=_function_name,
    created=AuditAction.FUNCTION_CREATED,
    changed=AuditAction.FUNCTION_CHANGED,
    deleted=AuditAction.FUNCTION_DELETED,
)
name_references(
    (AuditAction.FUNCTION_CREATED, AuditAction.FUNCTION_CHANGED, AuditAction.FUNCTION_DELETED),
    "instance",
    lambda ids: {instance.pk: str(instance) for instance in Instance.objects.filter(pk__in=ids)},
)
# What a run of the function calls: a monitor running it may act as whoever changed it.
attribute_changes(
    Function,
    frozenset(
        {"instance", "package_id", "version", "function_name", "default_token", "parameters"}
    ),
)


def _preset_name(preset: InputPreset) -> str:
    function = Function.objects.filter(pk=preset.function_id).first()
    return f"preset {preset.name} of {function.label if function else 'a deleted function'}"


watch_changes(
    InputPreset,
    "preset",
    fields={"name": lambda p: p.name, "inputs": lambda p: p.input_variables},
    target=_preset_name,
    created=AuditAction.PRESET_CREATED,
    changed=AuditAction.PRESET_CHANGED,
    deleted=AuditAction.PRESET_DELETED,
    columns=frozenset({"name", "input_variables"}),
)
