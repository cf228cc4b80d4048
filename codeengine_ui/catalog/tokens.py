"""What is decided and done about tokens beyond editing them: whether a user may run with
one now, testing one against its instance, re-encrypting them all under the newest key."""

from dataclasses import dataclass

from django.utils import timezone

from codeengine_ui.access.roles import Role, role_of
from codeengine_ui.domo.errors import BadTokenError, CodeEngineError, UnreachableError
from codeengine_ui.error_codes import ErrorCode

from .encryption import TokenDecryptionError, reencrypt_token
from .models import AccessToken


@dataclass(frozen=True)
class RunRefusal:
    code: ErrorCode
    message: str  # what happened; the code's next step says what to do

    def __str__(self) -> str:
        return self.message


def run_refusal(token: AccessToken | None, user) -> RunRefusal | None:
    """Why `user` may not run with `token` now, or None: the one decision, asked when the
    run form lists and checks tokens, when a run starts, and again by the worker when a
    queued run begins (grants, roles and expiry may have changed meanwhile)."""
    if token is None:
        return RunRefusal(
            ErrorCode.TOKEN_MISSING,
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
            "The account that queued this run was deleted, so it was not started.",
        )
    role = role_of(user)
    if role < Role.MEMBER:
        return RunRefusal(
            ErrorCode.ROLE_REVOKED,
            f"{user.get_username()} no longer has the member role, so this run was not started.",
        )
    # The token is active and unexpired (above): shared with members, or used by an admin,
    # it is usable without looking at the grants.
    if token.shared_with_members or role >= Role.ADMIN:
        return None
    if not AccessToken.objects.usable_by(user, token.instance_id).filter(pk=token.pk).exists():
        return RunRefusal(
            ErrorCode.TOKEN_NOT_GRANTED,
            f'The access token "{token.label}" is no longer granted to {user.get_username()}, '
            "so this run was not started.",
        )
    return None


def test_connection(token: AccessToken) -> AccessToken:
    """Ask the instance who the token belongs to, and keep the answer on the token."""
    try:
        user = token.client().check_token()
    except BadTokenError:
        ok, message = False, "Bad token: the instance refused it (it is wrong, expired or revoked)."
    except UnreachableError as error:
        ok, message = False, f"Instance unreachable: {error}"
    except (CodeEngineError, TokenDecryptionError) as error:
        ok, message = False, str(error)
    else:
        name = user.get("displayName") or user.get("userName") or user.get("id") or "?"
        email = user.get("emailAddress") or user.get("email") or ""
        ok, message = True, f"Acts as {name}" + (f" ({email})" if email else "")
    token.last_check_at, token.last_check_ok = timezone.now(), ok
    token.last_check_message = message[:300]
    token.save(update_fields=["last_check_at", "last_check_ok", "last_check_message"])
    return token


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
