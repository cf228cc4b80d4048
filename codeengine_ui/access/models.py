from django.conf import settings
from django.db import models
from django.utils import timezone


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
    TOKEN_MOVED = "token_moved", "Token moved to another instance"
    TOKENS_REENCRYPTED = "tokens_reencrypted", "Tokens re-encrypted"
    INSTANCE_CREATED = "instance_created", "Instance created"
    INSTANCE_CHANGED = "instance_changed", "Instance changed"
    INSTANCE_DELETED = "instance_deleted", "Instance deleted"
    ROLE_CHANGED = "role_changed", "Role changed"
    USER_CREATED = "user_created", "User created"
    USER_CHANGED = "user_changed", "User changed"
    USER_DELETED = "user_deleted", "User deleted"
    PASSWORD_CHANGED = "password_changed", "Password set"
    PERMISSIONS_CHANGED = "permissions_changed", "Permissions changed"
    GROUP_CREATED = "group_created", "Group created"
    GROUP_CHANGED = "group_changed", "Group renamed"
    GROUP_DELETED = "group_deleted", "Group deleted"
    RUNS_PRUNED = "runs_pruned", "Runs pruned"
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
    # A burst of the same event (failed logins from one address) is one row with a count.
    repeated = models.PositiveIntegerField(default=1)
    last_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["ip_address", "action"], name="audit_address_action")]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.target}"


class Theme(models.TextChoices):
    AUTO = "auto", "Follow the system"
    LIGHT = "light", "Light"
    DARK = "dark", "Dark"


class UserPreferences(models.Model):
    """What a user chose for how the console looks, wherever they log in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="console_preferences"
    )
    theme = models.CharField(max_length=8, choices=Theme.choices, default=Theme.AUTO)

    def __str__(self) -> str:
        return f"{self.user}: {self.theme}"

    SESSION_KEY = "console_theme"

    @classmethod
    def theme_for(cls, request) -> str:
        """The user's theme, kept in the session so pages do not ask the database each time."""
        user = getattr(request, "user", None)
        if not getattr(user, "is_authenticated", False):
            return Theme.AUTO
        session = request.session
        if session.get(cls.SESSION_KEY) not in Theme.values:
            preferences = cls.objects.filter(user=user).only("theme").first()
            session[cls.SESSION_KEY] = preferences.theme if preferences else Theme.AUTO
        return session[cls.SESSION_KEY]

    @classmethod
    def choose_theme(cls, request, theme: str) -> None:
        cls.objects.update_or_create(user=request.user, defaults={"theme": theme})
        request.session[cls.SESSION_KEY] = theme
