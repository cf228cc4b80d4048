import signal

from django.conf import settings
from django.core.management.base import BaseCommand

from codeengine_ui.runs.worker import RunWorker


class Command(BaseCommand):
    help = (
        "Run queued Code Engine runs, many at once, until stopped. Ctrl-C or SIGTERM stops "
        "claiming and waits for the runs in flight (up to RUN_WORKER_GRACE_SECONDS); a "
        "second one stops at once and marks them interrupted."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--concurrency",
            type=int,
            default=settings.RUN_WORKER_CONCURRENCY,
            help="Runs in flight at once (default: RUN_WORKER_CONCURRENCY, %(default)s).",
        )
        parser.add_argument(
            "--poll-interval",
            type=float,
            default=settings.RUN_WORKER_POLL_SECONDS,
            help="Seconds between looks at an empty queue (default: %(default)s).",
        )
        parser.add_argument(
            "--db-connections",
            type=int,
            default=settings.RUN_WORKER_DB_CONNECTIONS,
            help="Database connections, whatever the concurrency (default: %(default)s).",
        )
        parser.add_argument(
            "--grace-seconds",
            type=float,
            default=settings.RUN_WORKER_GRACE_SECONDS,
            help="How long a stop waits for runs in flight (default: %(default)s).",
        )
        parser.add_argument("--queue-name", default="default")

    def handle(
        self, *, concurrency, poll_interval, db_connections, grace_seconds, queue_name, **options
    ):
        worker = RunWorker(
            concurrency=concurrency,
            poll_interval=poll_interval,
            db_connections=db_connections,
            grace_seconds=grace_seconds,
            queue_names=tuple(queue_name.split(",")),
        )

        def stop(signum, frame):
            if worker.stopping:
                self.stdout.write("Stopping now: runs still in flight are marked interrupted.")
            else:
                self.stdout.write(
                    f"Stopping: waiting up to {grace_seconds:g} s for runs in flight "
                    "(signal again to stop at once)..."
                )
            worker.stop()

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        self.stdout.write(
            f"Run worker {worker.worker_id}: up to {concurrency} runs at once, "
            f"{db_connections} database connections.",
            self.style.SUCCESS,
        )
        worker.run()
