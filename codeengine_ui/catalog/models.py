import hmac
import re
import time
from datetime import date, timedelta
from typing import NamedTuple

import httpx
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property

from codeengine_ui.access.roles import Role, role_of
from codeengine_ui.domo.client import (
    DEFAULT_TIMEOUT_SECONDS,
    CodeEngineClient,
    HttpPool,
    check_base_url,
    path_segment,
)
from codeengine_ui.domo.errors import InvalidRequestError
from codeengine_ui.domo.versions import version_key
from codeengine_ui.parameters.app_calls import app_call_snippet
from codeengine_ui.parameters.definitions import (
    DefinitionError,
    normalise_output,
    normalise_parameters,
)
from codeengine_ui.timezones import server_today

from .encryption import TokenDecryptionError, decrypt_token, encrypt_token

MIN_TOKEN_LENGTH = 12
EXPIRY_WARNING_DAYS = 7
MAX_KEY_INPUTS = 3
# What a Domo developer token is made of: printable ASCII, no spaces.
_TOKEN_CHARACTERS = re.compile(r"[!-~]+")

subdomain_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$",
    "Use the Domo subdomain only: lower-case letters, digits and hyphens (acme for acme.domo.com).",
)


def checked_secret(token: str) -> str:
    """The secret without surrounding blanks, if it can be a Domo access token; the one
    place a secret is checked."""
    token = token.strip()
    if len(token) < MIN_TOKEN_LENGTH:
        raise ValidationError(
            f"This token is too short to be a Domo access token ({MIN_TOKEN_LENGTH} "
            "characters at least); it may have been cut when copied.",
            code="token_too_short",
        )
    if not _TOKEN_CHARACTERS.fullmatch(token):
        raise ValidationError(
            "This token contains a character no Domo access token has (a space, an "
            "accented letter or another non-ASCII character); copy it again from Domo.",
            code="token_characters",
        )
    return token


class PathSegmentValidator:
    """Package id, version and function name must each be one safe URL path segment."""

    def __init__(self, what: str):
        self.what = what

    def __call__(self, value: str) -> None:
        try:
            path_segment(value, self.what)
        except InvalidRequestError as error:
            raise ValidationError(str(error), code="invalid_segment") from None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PathSegmentValidator) and other.what == self.what


MOST_RUNS_AT_ONCE = 100_000  # an instance's budget, at the most


class Instance(models.Model):
    name = models.CharField(
        "subdomain",
        max_length=63,
        unique=True,
        validators=[subdomain_validator],
        help_text="The Domo subdomain: acme for https://acme.domo.com.",
    )
    display_name = models.CharField(max_length=120)
    custom_base_url = models.CharField(
        "custom base URL",
        max_length=200,
        blank=True,
        help_text="Leave empty for https://{subdomain}.domo.com. Another address is allowed "
        "only when its host is listed in CODEENGINE_ALLOWED_HOSTS (e.g. the local emulator).",
    )
    concurrency_budget = models.PositiveIntegerField(
        "runs at once",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MOST_RUNS_AT_ONCE)],
        help_text="The most runs on this instance in flight at once, across every worker. "
        "Domo does not document its rate limits: lower this if the instance answers 429. "
        "Empty: no limit.",
    )
    is_production = models.BooleanField(
        "production",
        default=False,
        help_text="Real users depend on this instance: a load run against it needs an "
        "admin's confirmation.",
    )
    # Until when every worker holds back new calls to this instance: it answered 429
    # (with its Retry-After, when it gave one).
    backoff_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name or self.name

    @property
    def base_url(self) -> str:
        return self.custom_base_url or f"https://{self.name}.domo.com"

    def clean(self) -> None:
        if self.custom_base_url:
            try:
                self.custom_base_url = check_base_url(
                    self.custom_base_url, settings.CODEENGINE_ALLOWED_HOSTS
                )
            except InvalidRequestError as error:
                raise ValidationError({"custom_base_url": str(error)}) from None


def expiry_warning_day() -> date:
    """A token expiring on or before this day is due a warning."""
    return server_today() + timedelta(days=EXPIRY_WARNING_DAYS)


class TokenState(models.TextChoices):
    """Where a token stands, in one word, most pressing first."""

    DISABLED = "disabled", "Disabled"
    EXPIRED = "expired", "Expired"
    FAILING = "failing", "Last check failed"
    EXPIRING = "expiring", "Expires soon"
    UNTESTED = "untested", "Not tested yet"
    ACTIVE = "active", "Active"


class AccessTokenQuerySet(models.QuerySet):
    def usable(self, instance=None):
        """Active, unexpired tokens, the most recently used first (the sensible default)."""
        tokens = self.filter(is_active=True).exclude(expires_on__lt=server_today())
        if instance is not None:
            tokens = tokens.filter(instance=instance)
        return tokens.order_by(models.F("last_used_at").desc(nulls_last=True), "label")

    def needing_attention(self):
        """Enabled tokens whose last check failed, or that expire within the warning period
        (expired ones included), the soonest expiry first."""
        return (
            self.filter(is_active=True)
            .filter(models.Q(last_check_ok=False) | models.Q(expires_on__lte=expiry_warning_day()))
            .select_related("instance")
            .order_by(models.F("expires_on").asc(nulls_last=True), "label")
        )

    def usable_by(self, user, instance=None):
        """The usable tokens `user` may run with: admins all of them, members those granted
        to them (to all members, to them, or to one of their groups), viewers none."""
        tokens = self.usable(instance)
        role = role_of(user)
        if role >= Role.ADMIN:
            return tokens
        if role < Role.MEMBER:
            return tokens.none()
        granted = (
            models.Q(shared_with_members=True)
            | models.Q(granted_users=user)
            | models.Q(granted_groups__in=user.groups.all())
        )
        return tokens.filter(pk__in=AccessToken.objects.filter(granted).values("pk"))


class AccessToken(models.Model):
    """A Domo developer token, encrypted at rest and never shown again after it is saved."""

    instance = models.ForeignKey(Instance, on_delete=models.CASCADE, related_name="tokens")
    label = models.CharField(max_length=100)
    encrypted_value = models.TextField(editable=False)
    last_four = models.CharField(max_length=4, editable=False)
    is_active = models.BooleanField("active", default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    expires_on = models.DateField(
        null=True,
        blank=True,
        help_text="After this day (in the server's time zone) the token is not used; it is "
        "flagged a week before.",
    )
    shared_with_members = models.BooleanField(
        "granted to all members",
        default=False,
        help_text="Every member may run with it; otherwise only the users and groups chosen.",
    )
    granted_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="granted_tokens"
    )
    granted_groups = models.ManyToManyField(Group, blank=True, related_name="granted_tokens")
    last_check_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_check_ok = models.BooleanField(null=True, editable=False)
    last_check_message = models.CharField(max_length=300, blank=True, editable=False)
    # The expiry date admins were last warned about (a warning once per expiry date).
    expiry_warned_on = models.DateField(null=True, blank=True, editable=False)
    last_used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    objects = AccessTokenQuerySet.as_manager()

    class Meta:
        ordering = ["instance__display_name", "label"]
        constraints = [
            models.UniqueConstraint(fields=["instance", "label"], name="token_label_per_instance")
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.masked})"

    @property
    def description(self) -> str:
        """How a token is named in messages and the audit log: never with its secret."""
        return f"{self.label} on {self.instance} ({self.masked})"

    @property
    def masked(self) -> str:
        return f"••••{self.last_four}"

    @property
    def is_expired(self) -> bool:
        return self.expires_on is not None and self.expires_on < server_today()

    @property
    def expires_soon(self) -> bool:
        """Expires within a week (and has not yet)."""
        return (
            self.expires_on is not None
            and not self.is_expired
            and self.expires_on <= expiry_warning_day()
        )

    @property
    def state(self) -> TokenState:
        if not self.is_active:
            return TokenState.DISABLED
        if self.is_expired:
            return TokenState.EXPIRED
        if self.last_check_ok is False:
            return TokenState.FAILING
        if self.expires_soon:
            return TokenState.EXPIRING
        if self.last_check_ok is None:
            return TokenState.UNTESTED
        return TokenState.ACTIVE

    @property
    def state_text(self) -> str:
        """The state in words, with the day for an expiry: "Expires 2026-12-01"."""
        state = self.state
        if state == TokenState.EXPIRED:
            return f"Expired {self.expires_on.day} {self.expires_on:%b %Y}"
        if state == TokenState.EXPIRING:
            return f"Expires {self.expires_on.day} {self.expires_on:%b %Y}"
        return state.label

    def set_token(self, token: str) -> None:
        """Store a new secret, encrypted, whoever sets it (the console, the admin, a command)."""
        token = checked_secret(token)
        self.encrypted_value = encrypt_token(token)
        self.last_four = token[-4:]
        self._secret_replaced = True  # the audit log tells a new secret from re-encryption

    def holds(self, token: str) -> bool:
        """Whether the stored secret is `token` (False when no configured key decrypts it):
        storing the same secret again would re-encrypt it and be audited as a rotation."""
        if self.last_four != token[-4:]:
            return False
        try:
            return hmac.compare_digest(decrypt_token(self.encrypted_value).encode(), token.encode())
        except TokenDecryptionError:
            return False

    def client(
        self,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        http: HttpPool | None = None,
    ) -> CodeEngineClient:
        """A client for this token's instance; the only place a token is decrypted. `http`
        is a shared, kept-alive client to call through (the run worker's)."""
        base_url = check_base_url(self.instance.base_url, settings.CODEENGINE_ALLOWED_HOSTS)
        return CodeEngineClient(
            base_url,
            decrypt_token(self.encrypted_value),
            timeout=settings.CODEENGINE_TIMEOUT_SECONDS,
            connect_timeout=settings.CODEENGINE_CONNECT_TIMEOUT_SECONDS,
            max_response_bytes=settings.CODEENGINE_MAX_RESPONSE_BYTES,
            ca_bundle=settings.CODEENGINE_CA_BUNDLE,
            transport=transport,
            http=http,
        )

    def record_use(self, user) -> None:
        """Note who used the token last, and when (to the minute: a burst of runs does not
        write the same row hundreds of times)."""
        now = timezone.now()
        AccessToken.objects.filter(pk=self.pk).exclude(
            last_used_by=user, last_used_at__gt=now - timedelta(minutes=1)
        ).update(last_used_at=now, last_used_by=user)


class FunctionQuerySet(models.QuerySet):
    def matching(self, search: str):
        """The functions whose name, label, package, alias or instance contain each word."""
        functions = self
        for word in search.split():
            functions = functions.filter(
                models.Q(display_name__icontains=word)
                | models.Q(function_name__icontains=word)
                | models.Q(package_id__icontains=word)
                | models.Q(app_alias__icontains=word)
                | models.Q(instance__name__icontains=word)
            )
        return functions

    def for_user_list(self, user):
        """Every saved function, the user's starred ones first."""
        return (
            self.select_related("instance")
            .annotate(
                is_starred=models.Exists(
                    Function.starred_by.through.objects.filter(
                        function=models.OuterRef("pk"), user=user
                    )
                )
            )
            .order_by("-is_starred", "display_name", "function_name")
        )


class Function(models.Model):
    """A Code Engine function the team saved, with its parameter definition."""

    instance = models.ForeignKey(Instance, on_delete=models.CASCADE, related_name="functions")
    default_token = models.ForeignKey(
        AccessToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    package_id = models.CharField(
        "package id", max_length=100, validators=[PathSegmentValidator("package id")]
    )
    version = models.CharField(max_length=64, validators=[PathSegmentValidator("version")])
    function_name = models.CharField(
        max_length=200, validators=[PathSegmentValidator("function name")]
    )
    display_name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    app_alias = models.CharField(
        "app alias",
        max_length=200,
        blank=True,
        help_text="The alias an app's packageMapping gives this function, when it came from one.",
    )
    parameters = models.JSONField(
        default=list,
        blank=True,
        help_text="Input definition: Domo's function inputs or an app packageMapping's "
        "parameters; stored normalised.",
    )
    output = models.JSONField(null=True, blank=True, help_text="Output definition.")
    entity_sub_type = models.CharField(
        "entity subtype",
        max_length=100,
        blank=True,
        help_text="Domo's entitySubType for the function or its package (such as "
        "amazon-bedrock), when a document or the instance gave one.",
    )
    version_released = models.BooleanField(
        null=True,
        blank=True,
        editable=False,
        help_text="Whether the pinned version is released, as the instance (else the "
        "imported document) last said; empty when unknown.",
    )
    time_limit_seconds = models.PositiveIntegerField(
        "time limit (seconds)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(int(DEFAULT_TIMEOUT_SECONDS))],
        help_text="How long a run waits for Code Engine's answer before it ends as timed "
        f"out, freeing its worker's slot. Empty: {DEFAULT_TIMEOUT_SECONDS:g} s (Code "
        "Engine's own limit and a margin). Only admins change it.",
    )
    key_inputs = models.JSONField(
        default=list,
        blank=True,
        help_text="Up to three input names whose values label this function's runs in the history.",
    )
    newest_version = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="The newest released version on the instance, when last checked.",
    )
    versions_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Who may be told about newest_version: only users who may use the token that found it.
    newest_version_token = models.ForeignKey(
        AccessToken,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    starred_by = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="starred_functions"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Who last changed what a run of it calls (instance, package, version, name, default
    # token, definition), and when: a monitor that runs it may act as them.
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(null=True, blank=True)

    objects = FunctionQuerySet.as_manager()

    class Meta:
        ordering = ["display_name", "function_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["instance", "package_id", "version", "function_name"],
                name="function_once_per_version",
            )
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.display_name or self.function_name

    @property
    def is_outdated(self) -> bool:
        """Whether a newer version than the pinned one was released on the instance."""
        return self.released_after(self.version)

    def released_after(self, version: str) -> bool:
        """Whether a version newer than `version` (in release order, not as text) was
        released on the instance: a run of the newest release is not an older one."""
        return bool(self.newest_version) and (
            version_key(self.newest_version) > version_key(version)
        )

    @property
    def release_warning(self) -> str:
        """Why a run may be refused before it starts: the pinned version is not released
        ("" when it is, or when nobody knows)."""
        if self.version_released is not False:
            return ""
        return (
            f"Version {self.version} is not released on {self.instance}: Domo may refuse to run it."
        )

    def token_for(self, user) -> "AccessToken | None":
        """The token to use on `user`'s behalf: the default one when granted to them, else
        another token of the instance granted to them."""
        tokens = AccessToken.objects.usable_by(user, self.instance)
        return tokens.filter(pk=self.default_token_id).first() or tokens.first()

    def app_call(self, values: dict | None = None) -> str:
        """What an app posts to run this function through its alias ("" without an alias)."""
        if not self.app_alias:
            return ""
        if values is None:
            values = {parameter["name"]: parameter["default"] for parameter in self.parameters}
        return app_call_snippet(self.app_alias, self.parameters, values)

    def clean(self) -> None:
        errors = {}
        try:
            self.parameters = normalise_parameters(self.parameters)
        except DefinitionError as error:
            errors["parameters"] = str(error)
        try:
            self.output = normalise_output(self.output)
        except DefinitionError as error:
            errors["output"] = str(error)
        names = {parameter["name"] for parameter in self.parameters or []}
        if not isinstance(self.key_inputs, list) or len(self.key_inputs) > MAX_KEY_INPUTS:
            errors["key_inputs"] = f"Name at most {MAX_KEY_INPUTS} inputs."
        elif unknown := [name for name in self.key_inputs if name not in names]:
            errors["key_inputs"] = f"Not inputs of this function: {', '.join(map(str, unknown))}."
        if self.default_token_id and self.default_token.instance_id != self.instance_id:
            errors["default_token"] = "This token belongs to another instance."
        if errors:
            raise ValidationError(errors)


class InputPreset(models.Model):
    """A named set of inputs for a function, shared with the team (like a saved test event)."""

    function = models.ForeignKey(Function, on_delete=models.CASCADE, related_name="presets")
    name = models.CharField(max_length=100)
    input_variables = models.JSONField("inputVariables", default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["function", "name"], name="preset_name_per_function")
        ]

    def __str__(self) -> str:
        return self.name


class UsableTokens:
    """The tokens a user may use now (run_refusal's rule as a query, `usable_by`), read once
    however often it is asked: what the console learnt from an instance with a token (a
    newer release, a person's name) is shown only to those who may use that token."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def ids(self) -> frozenset[int] | None:
        """Their ids; None for an admin, who is shown what every token learnt."""
        if role_of(self.user) >= Role.ADMIN:
            return None
        return frozenset(AccessToken.objects.usable_by(self.user).values_list("pk", flat=True))

    def include(self, token_id: int | None) -> bool:
        return self.ids is None or token_id in self.ids


class ReleaseNews:
    """Which newer releases of saved functions a user may be told about: only those found
    with a token the user may use (admins: all), so nobody learns anything about a package
    through a token not granted to them."""

    def __init__(self, user, *, tokens: UsableTokens | None = None):
        self.tokens = tokens or UsableTokens(user)

    def newer_version(self, function: "Function | None") -> str:
        """The newer released version to mention for `function`, or ""."""
        return self.newer_than(function, function.version) if function else ""

    def newer_than(self, function: "Function | None", version: str) -> str:
        """The release of `function` newer than `version` (the one a run used) to
        mention, or ""."""
        if function is None or not function.released_after(version):
            return ""
        if self.tokens.include(function.newest_version_token_id):
            return function.newest_version
        return ""


class DirectoryName(models.Model):
    """The name of a person, group, DataSet or account of an instance as one token read it,
    kept so pages show names instead of ids without asking the instance while they render.
    Filled by the pickers' searches and refreshed in bulk by the workers; `resolved` is
    False for an id the instance no longer knows (or that this token may not see). A name is
    shown only to those who may use the token that read it (UsableTokens)."""

    instance = models.ForeignKey(Instance, on_delete=models.CASCADE, related_name="+")
    token = models.ForeignKey(AccessToken, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16)
    entity_id = models.CharField(max_length=100)
    name = models.CharField(max_length=200, blank=True)
    detail = models.CharField(max_length=200, blank=True)
    resolved = models.BooleanField(default=True)
    fetched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["instance", "kind", "entity_id", "token"], name="directory_name_per_token"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name or self.entity_id} ({self.kind} {self.entity_id})"

    @classmethod
    def remember(cls, token: AccessToken, kind: str, entries, missing=()) -> None:
        """Keep the names `token` found (DirectoryEntry), and mark ids asked for but not
        found."""
        now = timezone.now()
        instance_id = token.instance_id
        rows = [
            cls(instance_id=instance_id, token=token, kind=kind, entity_id=entry.id[:100],
                name=entry.name, detail=entry.detail, resolved=True, fetched_at=now)
            for entry in entries
        ] + [
            cls(instance_id=instance_id, token=token, kind=kind,
                entity_id=str(entity_id)[:100], resolved=False, fetched_at=now)
            for entity_id in missing
        ]  # fmt: skip
        if rows:
            cls.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["instance", "kind", "entity_id", "token"],
                update_fields=["name", "detail", "resolved", "fetched_at"],
            )
            _names_read.clear()

    @classmethod
    def kept(
        cls, keys: set[tuple[int, str, str]], tokens: UsableTokens
    ) -> dict[tuple[int, str, str], "KeptName"]:
        """The names kept for these (instance id, kind, id) that a token in `tokens` read
        (one that resolves first, then the newest), read from this process's memory for a
        minute after they were read from the database (pages that show the same runs
        again, and their live updates, do not ask each time). A name stored by another
        process shows within that minute."""
        now = time.monotonic()
        readings, missing = {}, set()
        for key in keys:
            remembered = _names_read.get(key)
            if remembered is None or remembered[0] < now:
                missing.add(key)
            else:
                readings[key] = remembered[1]
        if missing:
            if len(_names_read) > NAMES_READ_LIMIT:
                _names_read.clear()
            rows = cls.objects.filter(
                instance_id__in={instance_id for instance_id, _, _ in missing},
                kind__in={kind for _, kind, _ in missing},
                entity_id__in={entity_id for _, _, entity_id in missing},
            ).values_list(
                "instance_id", "kind", "entity_id", "token_id", "name", "detail", "resolved",
                "fetched_at",
            )  # fmt: skip
            read: dict[tuple[int, str, str], list] = {}
            for i, k, e, token_id, name, detail, resolved, fetched_at in rows:
                read.setdefault((i, k, e), []).append(
                    (resolved, fetched_at, token_id, KeptName(name, detail, resolved))
                )
            for key in missing:
                best_first = sorted(read.get(key, ()), key=lambda row: row[:2], reverse=True)
                readings[key] = tuple((token_id, name) for *_, token_id, name in best_first)
                _names_read[key] = (now + NAMES_READ_SECONDS, readings[key])
        found = {}
        for key, candidates in readings.items():
            name = next((name for token_id, name in candidates if tokens.include(token_id)), None)
            if name is not None:
                found[key] = name
        return found


class KeptName(NamedTuple):
    name: str
    detail: str
    resolved: bool


NAMES_READ_SECONDS = 60
NAMES_READ_LIMIT = 100_000
# (instance id, kind, id) -> (until when, ((token id, name), ...) best first): see
# DirectoryName.kept.
_names_read: dict[tuple[int, str, str], tuple[float, tuple[tuple[int, KeptName], ...]]] = {}
