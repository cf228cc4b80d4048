from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, register

from codeengine_ui.notifications import webhook_refusal


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


@register()
def check_admin_webhook_url(app_configs, **kwargs):
    """ADMIN_WEBHOOK_URL must be an address the console would call, or admins would never
    hear of a token that breaks; said at start-up rather than when a token fails."""
    url = settings.ADMIN_WEBHOOK_URL
    refusal = webhook_refusal(url) if url else ""
    if not refusal:
        return []
    return [
        Error(
            f"ADMIN_WEBHOOK_URL is not an address the console may call: {refusal}",
            hint="List its host in MONITOR_WEBHOOK_HOSTS (host for HTTPS on port 443, "
            "host:port for another port), or correct the address.",
            id="catalog.E003",
        )
    ]
