from django.core.management.base import BaseCommand

from codeengine_ui.access.audit import record
from codeengine_ui.access.models import AuditAction
from codeengine_ui.catalog.tokens import reencrypt_all


class Command(BaseCommand):
    help = (
        "Re-encrypt every access token under the newest key of TOKEN_ENCRYPTION_KEYS (the "
        "first one). Run it after putting a new key first; then the old key can be removed."
    )

    def handle(self, **options):
        done, unreadable = reencrypt_all()
        record(
            AuditAction.TOKENS_REENCRYPTED,
            f"{done} tokens",
            unreadable=[token.description for token in unreadable],
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Re-encrypted {done} token{'s' if done != 1 else ''} under the newest key."
            )
        )
        for token in unreadable:
            self.stderr.write(
                f"{token.description} cannot be decrypted with "
                "any configured key: an admin must re-enter it."
            )
        if unreadable:
            raise SystemExit(1)
