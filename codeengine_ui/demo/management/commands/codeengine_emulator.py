import signal
import threading
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from codeengine_ui.demo.emulator import INPUT_ERROR_STYLES, CodeEngineEmulator, demo_users
from codeengine_ui.demo.tls import emulator_tls


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
        parser.add_argument(
            "--latency-ms",
            type=float,
            default=0.0,
            help="Network latency to add each way, as a real instance's round trip has.",
        )
        parser.add_argument(
            "--tls-dir",
            type=Path,
            help="Serve HTTPS with a local CA and certificate kept in this folder; point "
            "CODEENGINE_CA_BUNDLE at its emulator-ca.pem.",
        )
        parser.add_argument("--verbose-requests", action="store_true", help="Log every request.")

    def handle(self, *, host, port, input_errors, latency_ms, tls_dir, verbose_requests, **options):
        token = settings.CODEENGINE_EMULATOR_TOKEN
        if not token:
            raise CommandError("Set CODEENGINE_EMULATOR_TOKEN: the token the emulator accepts.")
        users = demo_users(token, settings.CODEENGINE_EMULATOR_LIMITED_TOKEN)
        if latency_ms < 0:
            raise CommandError("--latency-ms cannot be negative.")
        emulator = CodeEngineEmulator(
            users, input_errors=input_errors, latency_seconds=latency_ms / 1000
        )
        tls, ca_bundle = emulator_tls(tls_dir) if tls_dir else (None, None)
        try:
            running = emulator.start(host, port, tls=tls)
        except OSError as error:
            raise CommandError(f"Cannot listen on {host}:{port}: {error}") from error
        running.server.quiet = not verbose_requests
        self.stdout.write(f"Code Engine emulator listening on {running.url}", self.style.SUCCESS)
        if ca_bundle:
            self.stdout.write(f"Its certificate authority: {ca_bundle}")
        stopped = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stopped.set())
        stopped.wait()
        running.stop()
        self.stdout.write("Code Engine emulator stopped.")
