"""What admins do to tokens beyond editing them: test them against their instance, and
re-encrypt them all under the newest key."""

from django.utils import timezone

from codeengine_ui.domo.errors import BadTokenError, CodeEngineError, UnreachableError

from .encryption import TokenDecryptionError, reencrypt_token
from .models import AccessToken


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
        ok, message = True, f"OK: acts as {name}" + (f" ({email})" if email else "")
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
