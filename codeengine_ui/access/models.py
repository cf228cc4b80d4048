import hashlib
import hmac
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from codeengine_ui.timezones import server_today


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
    API_KEY_CREATED = "api_key_created", "API key created"
    API_KEY_FIRST_USED = "api_key_first_used", "API key used for the first time"
    API_KEY_REVOKED = "api_key_revoked", "API key revoked"
    SIGN_IN_FAILED = "sign_in_failed", "Sign-in with a provider failed"
    SIGN_IN_REFUSED = "sign_in_refused", "Sign-in with a provider refused"
    IDENTITY_LINKED = "identity_linked", "Provider identity linked"
    IDENTITY_UNLINKED = "identity_unlinked", "Provider identity unlinked"
    FUNCTION_CREATED = "function_created", "Function saved"
    FUNCTION_CHANGED = "function_changed", "Function settings changed"
    FUNCTION_DELETED = "function_deleted", "Function deleted"
    PRESET_CREATED = "preset_created", "Preset created"
    PRESET_CHANGED = "preset_changed", "Preset changed"
    PRESET_DELETED = "preset_deleted", "Preset deleted"
    CASE_CREATED = "case_created", "Test case created"
    CASE_CHANGED = "case_changed", "Test case changed"
    CASE_DELETED = "case_deleted", "Test case deleted"
    SUITE_CREATED = "suite_created", "Suite created"
    SUITE_CHANGED = "suite_changed", "Suite changed"
    SUITE_DELETED = "suite_deleted", "Suite deleted"
    MONITOR_CHANGED = "monitor_changed", "Monitor changed"
    NOTIFICATION_FAILED = "notification_failed", "Notification not sent"
    AI_CLIENT_CONNECTED = "ai_client_connected", "AI client connected"
    AI_CLIENT_REVOKED = "ai_client_revoked", "AI client revoked"
    AI_TOOLS_LIMITED = "ai_tools_limited", "AI tools a key or client may use changed"
    LOAD_RUN_CONFIRMED = "load_run_confirmed", "Load run on production started by an admin"
    LOAD_RUN_REQUESTED = "load_run_requested", "Load run on production asked for"
    LOAD_RUN_APPROVED = "load_run_approved", "Load run on production approved"
    LOAD_RUN_DECLINED = "load_run_declined", "Load run on production declined"


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
    action = models.CharField(max_length=32, choices=AuditAction.choices)
    target = models.CharField(max_length=255, blank=True)
    details = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    # A burst of the same event (failed logins from one address) is one row with a count.
    repeated = models.PositiveIntegerField(default=1)
    last_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        # The log's pages go newest first by id within each filter (keyset pages); a search
        # in targets reads every row, which stays well under the page's budget.
        indexes = [
            models.Index(fields=["ip_address", "action"], name="audit_address_action"),
            models.Index(fields=["action", "id"], name="audit_action_id"),
            models.Index(fields=["actor_name", "id"], name="audit_actor_id"),
        ]

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


class ApiKeyScope(models.TextChoices):
    READ = "read", "Read only"
    RUN = "run", "Read and write: run, save presets"
    TOOLS = "tools", "AI tools: list and run functions over MCP"


class ApiKeyQuerySet(models.QuerySet):
    def usable(self):
        """Not revoked, not expired, of an active user."""
        return self.filter(revoked_at__isnull=True, user__is_active=True).exclude(
            expires_on__lt=server_today()
        )


class ApiKey(models.Model):
    """A personal key for the API and the command-line client. It acts as its user (their
    role and token grants, never more), read-only or also running functions.

    The key is shown once. Only its SHA-256 is kept: a key carries 256 random bits, so a
    slow password hash would add nothing but time to every request (as with GitHub's
    tokens). The part before the secret (`ce_<key_id>_`) finds the row to compare with."""

    PREFIX = "ce_"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=100)
    key_id = models.CharField(max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    scope = models.CharField(max_length=8, choices=ApiKeyScope.choices, default=ApiKeyScope.RUN)
    expires_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Requests in the current minute, for the per-key rate limit (shared by every process).
    window_start = models.DateTimeField(null=True, blank=True, editable=False)
    window_requests = models.PositiveIntegerField(default=0, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="api_key_name_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.PREFIX}{self.key_id}_…)"

    @classmethod
    def issue(cls, user, name: str, scope: str, expires_on=None) -> tuple["ApiKey", str]:
        """A new key for `user`, saved, and its text (to be shown once). A name the user
        already has, or a key past API_KEYS_PER_USER, is refused (`check_room`), decided
        under the user's lock so that parallel requests cannot both pass."""
        key_id = secrets.token_hex(6)
        text = f"{cls.PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        with transaction.atomic():
            ApiUsage.lock(user)
            cls.check_room(user, name)
            try:
                with transaction.atomic():
                    key = cls.objects.create(
                        user=user,
                        name=name,
                        scope=scope,
                        expires_on=expires_on,
                        key_id=key_id,
                        secret_hash=_digest(text),
                    )
            except IntegrityError:  # stored meanwhile by something that took no lock
                raise _name_taken(name) from None
        return key, text

    @classmethod
    def check_room(cls, user, name: str) -> None:
        """Raise a ValidationError when `user` may not have one more key named `name`."""
        if cls.objects.filter(user=user, name=name).exists():
            raise _name_taken(name)
        in_use = cls.objects.filter(user=user).usable().count()
        if in_use >= settings.API_KEYS_PER_USER:
            raise ValidationError(
                f"You have {in_use} API keys in use, the most one person may have "
                "(API_KEYS_PER_USER): revoke one before creating another.",
                code="too_many_keys",
            )

    @classmethod
    def find(cls, text: str) -> "ApiKey | None":
        """The usable key this text is, or None (unknown, revoked, expired, wrong)."""
        if not text.startswith(cls.PREFIX) or len(text) > 120:
            return None
        key_id = text[len(cls.PREFIX) :].split("_", 1)[0]
        key = cls.objects.usable().select_related("user").filter(key_id=key_id).first()
        if key is None or not hmac.compare_digest(key.secret_hash, _digest(text)):
            return None
        return key

    @property
    def may_write(self) -> bool:
        return self.scope == ApiKeyScope.RUN

    @property
    def for_api(self) -> bool:
        """Whether the JSON API takes it: an AI tools key serves only at /mcp/."""
        return self.scope != ApiKeyScope.TOOLS

    @property
    def for_tools(self) -> bool:
        """Whether /mcp/ takes it: an AI tools key, or a read-only one (which runs
        nothing). A read and write key is the API's: an agent gets a key of its own."""
        return self.scope in (ApiKeyScope.READ, ApiKeyScope.TOOLS)

    @property
    def may_run_tools(self) -> bool:
        return self.scope == ApiKeyScope.TOOLS


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _name_taken(name: str) -> ValidationError:
    return ValidationError(
        {"name": ValidationError(f"You already have a key named “{name}”.", code="name_taken")}
    )


class ApiUsage(models.Model):
    """What one person's API keys use together: the requests of the current minute, for
    the limit per user. Its row is also the lock under which the user's runs in flight,
    waits and keys are counted and added, so parallel requests are decided one by one."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    window_start = models.DateTimeField(null=True, blank=True)
    window_requests = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"API use of {self.user}"

    @classmethod
    def lock(cls, user) -> "ApiUsage":
        """The user's row (made if missing), locked until the transaction ends: on
        PostgreSQL a row lock; SQLite's IMMEDIATE transactions already run one at a time."""
        locked = cls.objects.select_for_update()
        usage = locked.filter(user=user).first()
        if usage is None:
            cls.objects.get_or_create(user=user)
            usage = locked.get(user=user)
        return usage


class ApiWait(models.Model):
    """An API request waiting for a run or a suite run to end (`?wait=N`): a waiting place
    of its key and its user. It ends by itself at `until`, the wait's deadline and a
    margin, so the places of a web process that died while waiting come back."""

    # None: a connected AI client's wait, which counts against its person alone.
    api_key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    until = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["user", "until"], name="api_wait_user_until")]

    def __str__(self) -> str:
        return f"{self.api_key} waits until {self.until:%H:%M:%S}"


class ConsolePermission(models.Model):
    """The console's permissions beyond the three roles, each given to a person by an admin
    (as a Django user permission, so its grants are audited). No table: it only names them."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("start_load_runs", "May start load runs")]

    def __str__(self) -> str:
        return "console permissions"
