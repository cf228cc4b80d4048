from django.core.management.base import BaseCommand

from codeengine_ui.agents.registration import PRUNE_BATCH, prune_unused_clients


class Command(BaseCommand):
    help = (
        "Delete AI clients that registered themselves over a day ago and of which nobody "
        "holds a token. Each registration also does it; this is for a quiet console."
    )

    def handle(self, **options):
        deleted = 0
        while pruned := prune_unused_clients(batch=PRUNE_BATCH):
            deleted += pruned
        clients = "client" if deleted == 1 else "clients"
        self.stdout.write(self.style.SUCCESS(f"Deleted {deleted} AI {clients} nobody connected."))
