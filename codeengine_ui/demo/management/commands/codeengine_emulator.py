import signal
import threading
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from codeengine_ui.demo.emulator import INPUT_ERROR_STYLES, CodeEngineEmulator, demo_users


class Command(BaseCommand):
    help = "Serve the local Code Engine emulator with the demo package until interrupted."

    def add_arguments(self, parser):
        address = urlsplit(settings.CODEENGINE_EMULATOR_URL)
        parser.add_argument("--host", default=address.hostname or "127.0.0.1")
        parser.add_argument("--port", type=int, default=address.port or 8765)
        parser.add_argument(
            "--input-errors",
            choices=INPUT_ERROR_STYLES,
            default="failed",
            help="How a wrong input type is answered: HTTP 200 with status FAILED, or HTTP 400.",
        )
        parser.add_argument("--verbose-requests", action="store_true", help="Log every request.")

    def handle(self, *, host, port, input_errors, verbose_requests, **options):
        token = settings.CODEENGINE_EMULATOR_TOKEN
        if not token:
            raise CommandError("Set CODEENGINE_EMULATOR_TOKEN: the token the emulator accepts.")
        users = demo_users(token, settings.CODEENGINE_EMULATOR_LIMITED_TOKEN)
        emulator = CodeEngineEmulator(users, input_errors=input_errors)
        try:
            running = emulator.start(host, port)
        except OSError as error:
            raise CommandError(f"Cannot listen on {host}:{port}: {error}") from error
        running.server.quiet = not verbose_requests
        self.stdout.write(f"Code Engine emulator listening on {running.url}", self.style.SUCCESS)
        stopped = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stopped.set())
        stopped.wait()
        running.stop()
        self.stdout.write("Code Engine emulator stopped.")
