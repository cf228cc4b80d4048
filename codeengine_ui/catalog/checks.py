from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, register


@register()
def check_token_encryption_keys(app_configs, **kwargs):
    if not settings.TOKEN_ENCRYPTION_KEYS:
        return [
            Error(
                "TOKEN_ENCRYPTION_KEYS is not set: access tokens cannot be stored safely.",
                hint='Generate a key with: python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())"',
                id="catalog.E001",
            )
        ]
    errors = []
    for position, key in enumerate(settings.TOKEN_ENCRYPTION_KEYS, start=1):
        try:
            Fernet(key)
        except ValueError:
            errors.append(
                Error(
                    f"TOKEN_ENCRYPTION_KEYS entry {position} is not a valid Fernet key.",
                    id="catalog.E002",
                )
            )
    return errors
