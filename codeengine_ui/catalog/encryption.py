"""Access tokens at rest: Fernet under MultiFernet, so keys can rotate.

Decryption fails closed: a token that no configured key opens raises
TokenDecryptionError; it is never returned raw, empty or garbled.
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from codeengine_ui.error_codes import ErrorCode


class TokenDecryptionError(Exception):
    code = ErrorCode.TOKEN_UNREADABLE

    def __init__(self):
        super().__init__(
            "This token cannot be decrypted with the configured keys, so it must be re-entered."
        )


def _fernet() -> MultiFernet:
    keys = settings.TOKEN_ENCRYPTION_KEYS
    if not keys:
        raise ImproperlyConfigured("TOKEN_ENCRYPTION_KEYS is empty: tokens cannot be stored.")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as error:
        raise ImproperlyConfigured(
            "TOKEN_ENCRYPTION_KEYS holds a value that is not a Fernet key "
            "(32 url-safe base64-encoded bytes)."
        ) from error


def encrypt_token(token: str) -> str:
    return _fernet().encrypt(token.encode()).decode()


def decrypt_token(ciphertext: str) -> str:
    try:
        return _fernet().decrypt(ciphertext.encode()).decode()
    except (InvalidToken, UnicodeError, ValueError) as error:
        raise TokenDecryptionError() from error


def reencrypt_token(ciphertext: str) -> str:
    """The same token encrypted under the newest key."""
    try:
        return _fernet().rotate(ciphertext.encode()).decode()
    except (InvalidToken, ValueError) as error:
        raise TokenDecryptionError() from error
