from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from codeengine_ui.runs.housekeeping import PRUNE_BATCH, prune_executions


class Command(BaseCommand):
    help = (
        "Delete finished runs older than N days, in batches; runs still queued or running are "
        "never touched. Without --days, EXECUTION_RETENTION_DAYS is used."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=settings.EXECUTION_RETENTION_DAYS,
            help="Keep this many days of history (default: %(default)s).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Only say how many runs would be deleted."
        )
        parser.add_argument("--batch-size", type=int, default=PRUNE_BATCH)

    def handle(self, *, days, dry_run, batch_size, **options):
        if days is None:
            raise CommandError("No retention set: pass --days N, or set EXECUTION_RETENTION_DAYS.")
        if days < 0 or batch_size < 1:
            raise CommandError("--days must be 0 or more, and --batch-size at least 1.")
        report = prune_executions(days, dry_run=dry_run, batch=batch_size)
        cutoff = report.cutoff.strftime("%Y-%m-%d %H:%M %Z")
        if dry_run:
            self.stdout.write(f"Would delete {report.executions} runs queued before {cutoff}.")
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Deleted {report.executions} runs queued before {cutoff} "
                    f"(and {report.task_results} finished task records)."
                )
            )
