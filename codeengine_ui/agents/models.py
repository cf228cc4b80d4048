"""Which functions an AI agent may use as tools, when its key or connected client was
limited to some; with no limit it may use every function its person may run."""

from django.conf import settings
from django.db import models


class ToolLimit(models.Model):
    """The functions an API key, or one person's grant to a connected OAuth client, may
    use as tools. The person's own right to run each function is checked at every call:
    a limit only ever narrows it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    api_key = models.OneToOneField(
        "access.ApiKey",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="tool_limit",
    )
    oauth_application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    functions = models.ManyToManyField("catalog.Function", related_name="+", blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(api_key__isnull=False)
                ^ models.Q(oauth_application__isnull=False),
                name="tool_limit_of_a_key_or_a_client",
            ),
            models.UniqueConstraint(
                fields=["user", "oauth_application"],
                condition=models.Q(oauth_application__isnull=False),
                name="tool_limit_once_per_client_and_user",
            ),
        ]

    def __str__(self) -> str:
        holder = self.api_key or self.oauth_application
        return f"Tools of {holder} for {self.user}"

    @classmethod
    def set_for(cls, user, functions, **holder) -> None:
        """Limit `holder` (api_key=… or oauth_application=…) of `user` to `functions`, or
        lift its limit (None: all the functions the person may run)."""
        limits = cls.objects.filter(user=user, **holder)
        if functions is None:
            limits.delete()
            return
        limit = limits.first() or cls.objects.create(user=user, **holder)
        limit.functions.set(functions)
        limit.save(update_fields=["updated_at"])


class ClientRegistration(models.Model):
    """A client that registered itself (RFC 7591): from which address and when, so that
    registrations can be counted per address and unused clients pruned."""

    application = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        on_delete=models.CASCADE,
        related_name="registration",
    )
    address = models.GenericIPAddressField(null=True, blank=True)
    registered_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"Registration of {self.application}"


class ClientConnection(models.Model):
    """One person's approval of a connected client: who approved it, when, and when its
    tokens were last used. Revoking it deletes the person's tokens for the client."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ai_connections"
    )
    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        on_delete=models.CASCADE,
        related_name="connections",
    )
    approved_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "application"], name="connection_once_per_client_and_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application} for {self.user}"
