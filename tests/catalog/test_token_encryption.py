import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from codeengine_ui.catalog.checks import check_token_encryption_keys
from codeengine_ui.catalog.encryption import (
    TokenDecryptionError,
    decrypt_token,
    encrypt_token,
    reencrypt_token,
)
from codeengine_ui.catalog.models import AccessToken
from tests.conftest import DEVELOPER_TOKEN


def test_token_is_stored_encrypted_and_decrypts_back(developer_token):
    stored = AccessToken.objects.get(pk=developer_token.pk)

    assert DEVELOPER_TOKEN not in stored.encrypted_value
    assert decrypt_token(stored.encrypted_value) == DEVELOPER_TOKEN
    assert stored.masked == "••••e7f8"


def test_old_key_still_decrypts_after_a_new_key_is_added(settings):
    old_key = Fernet.generate_key().decode()
    settings.TOKEN_ENCRYPTION_KEYS = [old_key]
    ciphertext = encrypt_token("secret-under-the-old-key")

    settings.TOKEN_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old_key]

    assert decrypt_token(ciphertext) == "secret-under-the-old-key"
    rotated = reencrypt_token(ciphertext)
    settings.TOKEN_ENCRYPTION_KEYS = settings.TOKEN_ENCRYPTION_KEYS[:1]
    assert decrypt_token(rotated) == "secret-under-the-old-key"


def test_token_no_key_opens_fails_closed(settings):
    ciphertext = encrypt_token("secret-under-a-lost-key")
    settings.TOKEN_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    with pytest.raises(TokenDecryptionError) as raised:
        decrypt_token(ciphertext)

    assert "must be re-entered" in str(raised.value)


def test_garbage_ciphertext_fails_closed():
    with pytest.raises(TokenDecryptionError):
        decrypt_token("not a fernet token at all")


def test_missing_keys_are_a_configuration_error(settings):
    settings.TOKEN_ENCRYPTION_KEYS = []

    with pytest.raises(ImproperlyConfigured):
        encrypt_token("anything-at-all")
    assert [error.id for error in check_token_encryption_keys(None)] == ["catalog.E001"]


def test_system_check_refuses_a_malformed_key(settings):
    settings.TOKEN_ENCRYPTION_KEYS = ["not-a-key"]

    assert [error.id for error in check_token_encryption_keys(None)] == ["catalog.E002"]


def test_check_command_fails_without_keys(db, settings):
    settings.TOKEN_ENCRYPTION_KEYS = []

    with pytest.raises(SystemCheckError, match="TOKEN_ENCRYPTION_KEYS is not set"):
        call_command("check")
