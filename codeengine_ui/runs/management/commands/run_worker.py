import signal

from django.conf import settings
from django.core.management.base import BaseCommand

from codeengine_ui.runs.worker import RunWorker


class Command(BaseCommand):
    help = (
        "Run queued Code Engine runs, several at once (threads), until interrupted. "
        "A second Ctrl-C stops at once; runs still in flight are marked interrupted."
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
        parser.add_argument("--queue-name", default="default")

    def handle(self, *, concurrency, poll_interval, queue_name, **options):
        worker = RunWorker(
            concurrency=concurrency,
            poll_interval=poll_interval,
            queue_names=tuple(queue_name.split(",")),
        )

        def stop(signum, frame):
            if worker.stopping:
                raise SystemExit(1)
            self.stdout.write("Stopping the worker (Ctrl-C again to stop at once)...")
            worker.stop()

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        self.stdout.write(
            f"Run worker {worker.worker_id}: up to {concurrency} runs at once.",
            self.style.SUCCESS,
        )
        worker.run()
