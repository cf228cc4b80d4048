"""What is decided and done about tokens beyond editing them: whether a user may use one
now, the one way to call an instance with one, testing one against its instance,
re-encrypting them all under the newest key."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.utils import timezone

from codeengine_ui.access.roles import Role, role_of
from codeengine_ui.domo.client import CodeEngineClient
from codeengine_ui.domo.errors import BadTokenError, CodeEngineError, UnreachableError
from codeengine_ui.error_codes import ErrorCode
from codeengine_ui.notifications import send_notification

from .encryption import TokenDecryptionError, reencrypt_token
from .models import AccessToken, expiry_warning_day


@dataclass(frozen=True)
class RunRefusal:
    code: ErrorCode
    reason: str  # why the token may not be used now, said of any call
    for_run: str = ""  # said of a run that was not started, when it differs from the reason

    @property
    def message(self) -> str:
        """What happened to the run; the code's next step says what to do."""
        return self.for_run or self.reason

    def __str__(self) -> str:
        return self.message


def run_refusal(token: AccessToken | None, user) -> RunRefusal | None:
    """Why `user` may not use `token` now, or None: the one decision, asked before every
    call made for a person (`client_for`), when a run starts, and again by the worker when a
    queued run begins (grants, roles and expiry may have changed meanwhile). Token fields
    list the tokens it allows (`AccessToken.objects.usable_by`, the same rule as a query)."""
    if token is None:
        return RunRefusal(
            ErrorCode.TOKEN_MISSING,
            "The access token was deleted.",
            "The access token chosen for this run was deleted before it started.",
        )
    if not token.is_active:
        return RunRefusal(
            ErrorCode.TOKEN_DISABLED, f'The access token "{token.label}" is disabled.'
        )
    if token.is_expired:
        return RunRefusal(
            ErrorCode.TOKEN_EXPIRED,
            f'The access token "{token.label}" expired on '
            f"{token.expires_on.day} {token.expires_on:%b %Y}.",
        )
    if user is None:
        return RunRefusal(
            ErrorCode.ROLE_REVOKED,
            "The account was deleted.",
            "The account that queued this run was deleted, so it was not started.",
        )
    if not user.is_active:
        return RunRefusal(
            ErrorCode.ROLE_REVOKED,
            f"{user.get_username()}'s account is deactivated.",
            f"{user.get_username()}'s account is deactivated, so this run was not started.",
        )
    role = role_of(user)
    if role < Role.MEMBER:
        return RunRefusal(
            ErrorCode.ROLE_REVOKED,
            f"{user.get_username()} does not have the member role.",
            f"{user.get_username()} no longer has the member role, so this run was not started.",
        )
    # The token is active and unexpired (above): shared with members, or used by an admin,
    # it is usable without looking at the grants.
    if token.shared_with_members or role >= Role.ADMIN:
        return None
    if not AccessToken.objects.usable_by(user, token.instance_id).filter(pk=token.pk).exists():
        return RunRefusal(
            ErrorCode.TOKEN_NOT_GRANTED,
            f'The access token "{token.label}" is not granted to {user.get_username()}.',
            f'The access token "{token.label}" is no longer granted to {user.get_username()}, '
            "so this run was not started.",
        )
    return None


class TokenRefused(CodeEngineError):
    """A call to an instance for a person with a token they may not use now: never made."""

    not_run = True
    code = ErrorCode.TOKEN_NOT_GRANTED  # each refusal names its own

    def __init__(self, refusal: RunRefusal):
        super().__init__(refusal.reason)
        self.code = refusal.code


class _WorkersOwnJob:
    def __repr__(self) -> str:
        return "BACKGROUND"


# Whom the workers' own jobs (the hourly checks) call for: nobody. What they learn is kept
# with the token that learnt it and shown only to those who may use that token.
BACKGROUND = _WorkersOwnJob()


def client_for(token: AccessToken | None, user) -> CodeEngineClient:
    """A client calling `token`'s instance on `user`'s behalf: the one way pages, the API,
    pickers, imports and connection tests reach an instance, so the token is decrypted only
    for a user who may use it now (run_refusal); TokenRefused otherwise. `user` is
    BACKGROUND for the workers' own jobs. (The run worker asks run_refusal itself for each
    queued run, just before its call.)"""
    if user is not BACKGROUND:
        refusal = run_refusal(token, user)
        if refusal is not None:
            raise TokenRefused(refusal)
    return token.client()


def test_connection(token: AccessToken, user) -> AccessToken:
    """Ask the instance who the token belongs to, for `user` (an admin, or BACKGROUND for
    the daily check), and keep the answer on the token. TokenRefused, before anything is
    asked or kept, for a token `user` may not use now (disabled or expired)."""
    try:
        identity = client_for(token, user).check_token()
    except TokenRefused:
        raise  # nothing was asked, so there is nothing to keep
    except BadTokenError:
        ok, message = False, "Bad token: the instance refused it (it is wrong, expired or revoked)."
    except UnreachableError as error:
        ok, message = False, f"Instance unreachable: {error}"
    except (CodeEngineError, TokenDecryptionError) as error:
        ok, message = False, str(error)
    else:
        name = identity.get("displayName") or identity.get("userName") or identity.get("id")
        name = name or "?"
        email = identity.get("emailAddress") or identity.get("email") or ""
        ok, message = True, f"Acts as {name}" + (f" ({email})" if email else "")
    before = token.last_check_ok
    token.last_check_at, token.last_check_ok = timezone.now(), ok
    token.last_check_message = message[:300]
    token.save(update_fields=["last_check_at", "last_check_ok", "last_check_message"])
    if not ok and before is not False:
        tell_admins(f"Access token “{token.label}” failed its check", f"{message} {_page(token)}")
    elif ok and before is False:
        tell_admins(f"Access token “{token.label}” works again", f"{message} {_page(token)}")
    return token


def warn_of_expiries() -> int:
    """Tell admins, once per expiry date, of tokens that expire within the warning period."""
    due = AccessToken.objects.filter(
        is_active=True, expires_on__isnull=False, expires_on__lte=expiry_warning_day()
    ).exclude(expiry_warned_on=models.F("expires_on"))
    warned = 0
    for token in due.select_related("instance"):
        verb = "expired" if token.is_expired else "expires"
        tell_admins(
            f"Access token “{token.label}” {verb} on {token.expires_on:%d %b %Y}",
            f"Renew it in Domo and rotate it in the console before runs start failing. "
            f"{_page(token)}",
        )
        AccessToken.objects.filter(pk=token.pk).update(expiry_warned_on=token.expires_on)
        warned += 1
    return warned


def tell_admins(subject: str, text: str) -> None:
    """Admins with an email address, and ADMIN_WEBHOOK_URL, hear about tokens that break."""
    admins = (
        get_user_model()
        .objects.filter(
            models.Q(is_superuser=True) | models.Q(groups__name=Role.ADMIN.group_name),
            is_active=True,
        )
        .exclude(email="")
    )
    emails = sorted(set(admins.values_list("email", flat=True)))
    send_notification(
        f"[Code Engine Console] {subject}",
        f"{subject}. {text}",
        emails=emails,
        webhook_url=settings.ADMIN_WEBHOOK_URL,
    )


def _page(token: AccessToken) -> str:
    return f"{settings.CONSOLE_BASE_URL}/tokens/{token.pk}/"


def reencrypt_all() -> tuple[int, list[AccessToken]]:
    """Every token encrypted again under the newest key: (re-encrypted, unreadable ones)."""
    done, unreadable = 0, []
    for token in AccessToken.objects.select_related("instance"):
        try:
            token.encrypted_value = reencrypt_token(token.encrypted_value)
        except TokenDecryptionError:
            unreadable.append(token)
            continue
        token.save(update_fields=["encrypted_value"])
        done += 1
    return done, unreadable
