"""A person's connection to an AI client: approving it on the consent page (with the
functions it may use), listing connections, and revoking one, which ends its tokens at
once."""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_grant_model, get_refresh_token_model

from codeengine_ui.access.audit import record
from codeengine_ui.access.models import AuditAction
from codeengine_ui.access.roles import Role, has_role
from codeengine_ui.catalog.models import Function

from .models import ClientConnection, ToolLimit
from .redirect_uris import shown_host

ALL_FUNCTIONS = "all the functions the person may run"


def approve(user, application, functions: list[Function] | None) -> ClientConnection:
    """Record that `user` connected `application`, limited to `functions` (None: all the
    functions they may run), replacing what an earlier approval chose."""
    with transaction.atomic():
        connection, _ = ClientConnection.objects.update_or_create(
            user=user, application=application, defaults={"approved_at": timezone.now()}
        )
        ToolLimit.set_for(user, functions, oauth_application=application)
    tools = ALL_FUNCTIONS if functions is None else [str(function) for function in functions]
    record(AuditAction.AI_CLIENT_CONNECTED, application.name, client=application.name, tools=tools)
    return connection


def revoke(connection: ClientConnection) -> None:
    """End the connection: the person's tokens, refresh tokens and unused codes for the
    client are deleted (its next call is refused), and its limit with them."""
    user, application = connection.user, connection.application
    with transaction.atomic():
        for model in (get_refresh_token_model(), get_access_token_model(), get_grant_model()):
            model.objects.filter(user=user, application=application).delete()
        ToolLimit.objects.filter(user=user, oauth_application=application).delete()
        connection.delete()
    record(
        AuditAction.AI_CLIENT_REVOKED,
        application.name,
        client=application.name,
        owner=user.get_username(),
    )


def connections_seen_by(user) -> QuerySet[ClientConnection]:
    """Every connection for an admin; a person's own for anyone else."""
    connections = ClientConnection.objects.select_related("user", "application")
    if not has_role(user, Role.ADMIN):
        connections = connections.filter(user=user)
    return connections.order_by("-approved_at", "-pk")


@dataclass(frozen=True)
class ConnectionRow:
    connection: ClientConnection
    functions: list[Function] | None  # None: all the functions the person may run

    @property
    def returns_to(self) -> list[str]:
        """Where the client goes back to after sign-in: what tells look-alikes apart."""
        uris = self.connection.application.redirect_uris.split()
        return sorted({shown_host(uri) for uri in uris})


def connection_rows(connections) -> list[ConnectionRow]:
    """The connections with the functions each may use, read in two queries."""
    connections = list(connections)
    limits = ToolLimit.objects.filter(
        oauth_application__in={c.application_id for c in connections},
        user__in={c.user_id for c in connections},
    ).prefetch_related("functions__instance")
    chosen = {(limit.user_id, limit.oauth_application_id): limit for limit in limits}
    rows = []
    for connection in connections:
        limit = chosen.get((connection.user_id, connection.application_id))
        functions = None if limit is None else list(limit.functions.all())
        rows.append(ConnectionRow(connection, functions))
    return rows
