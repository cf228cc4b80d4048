from django.conf import settings
from django.db import models


class AuditAction(models.TextChoices):
    TOKEN_CREATED = "token_created", "Token created"
    TOKEN_RENAMED = "token_renamed", "Token renamed"
    TOKEN_ROTATED = "token_rotated", "Token rotated"
    TOKEN_DISABLED = "token_disabled", "Token disabled"
    TOKEN_ENABLED = "token_enabled", "Token enabled"
    TOKEN_DELETED = "token_deleted", "Token deleted"
    TOKEN_GRANTED = "token_granted", "Token grants changed"
    TOKEN_EXPIRY_CHANGED = "token_expiry_changed", "Token expiry changed"
    TOKEN_TESTED = "token_tested", "Token tested"
    TOKENS_REENCRYPTED = "tokens_reencrypted", "Tokens re-encrypted"
    INSTANCE_CREATED = "instance_created", "Instance created"
    INSTANCE_CHANGED = "instance_changed", "Instance changed"
    INSTANCE_DELETED = "instance_deleted", "Instance deleted"
    ROLE_CHANGED = "role_changed", "Role changed"
    LOGIN_FAILED = "login_failed", "Login failed"


class AuditEvent(models.Model):
    """One security-relevant action; written by the code, never edited or deleted from the UI."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=32, choices=AuditAction.choices, db_index=True)
    target = models.CharField(max_length=255, blank=True)
    details = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.target}"
