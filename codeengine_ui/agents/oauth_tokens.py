"""Bearer tokens on requests to the MCP endpoint: who a token acts for, and the challenge a
request without a good one is answered with (RFC 6750, RFC 9728 5.1)."""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from oauth2_provider.models import AbstractAccessToken, AbstractApplication, get_access_token_model

from .discovery import SCOPES, resource_metadata_url
from .models import ClientConnection

# A connection's last use is written at most this often, not on every call.
LAST_USE_PRECISION = timedelta(minutes=1)


@dataclass(frozen=True)
class OAuthAccess:
    user: object
    application: AbstractApplication
    access_token: AbstractAccessToken
    scope: str


def access_for(token_text: str) -> OAuthAccess | None:
    """Whom a bearer token acts for: a token this console issued, unexpired and not
    revoked, with the `tools` scope, of an active person; else None."""
    if not token_text:
        return None
    token = _stored_token(token_text)
    if (
        token is None
        or token.application is None
        or token.user is None
        or not token.user.is_active
        or not token.is_valid(SCOPES)
    ):
        return None
    _note_use(token)
    return OAuthAccess(token.user, token.application, token, token.scope)


def _stored_token(token_text: str) -> AbstractAccessToken | None:
    """The token found as the toolkit finds it: by the SHA-256 checksum it stores instead
    of the token, so no secret is compared here."""
    checksum = hashlib.sha256(token_text.encode()).hexdigest()
    return (
        get_access_token_model()
        .objects.select_related("application", "user")
        .filter(token_checksum=checksum)
        .first()
    )


def _note_use(token: AbstractAccessToken) -> None:
    now = timezone.now()
    ClientConnection.objects.filter(user=token.user, application=token.application).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USE_PRECISION)
    ).update(last_used_at=now)


def challenge_header(request, error: str = "", description: str = "") -> str:
    """The WWW-Authenticate value of a 401 from the MCP endpoint: where its metadata is and
    the scope to ask for; `error="invalid_token"` when a token was sent but is not good."""
    params = []
    if error:
        params.append(("error", error))
        if description:
            params.append(("error_description", description))
    params += [("resource_metadata", resource_metadata_url(request)), ("scope", " ".join(SCOPES))]
    return "Bearer " + ", ".join(f'{name}="{_quoted(value)}"' for name, value in params)


def _quoted(value: str) -> str:
    value = value.replace("\r", "").replace("\n", "")
    return value.replace("\\", "\\\\").replace('"', '\\"')
