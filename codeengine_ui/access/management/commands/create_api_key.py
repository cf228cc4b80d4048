from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from codeengine_ui.access.audit import record
from codeengine_ui.access.models import ApiKey, ApiKeyScope, AuditAction


class Command(BaseCommand):
    help = (
        "Create a personal API key for a user and print it (once): for a CI job set up "
        "from a shell. People usually create their own on their profile page."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("name", help="What the key is for, e.g. 'CI deploy job'.")
        parser.add_argument("--scope", choices=ApiKeyScope.values, default=ApiKeyScope.RUN)
        parser.add_argument("--expires-on", help="YYYY-MM-DD; the key stops after this day.")

    def handle(self, username, name, scope, expires_on, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user is named {username}.")
        try:
            key, text = ApiKey.issue(user, name, scope, expires_on or None)
        except ValidationError as refusal:
            raise CommandError(f"{username}: {' '.join(refusal.messages)}") from None
        record(AuditAction.API_KEY_CREATED, str(key), scope=key.scope)
        self.stdout.write(text)
