"""Start the whole console for development: web server, run worker and Code Engine emulator.

`python -m codeengine_ui.launch` (what `make run` calls). Output of each process is
prefixed with its name; Ctrl-C stops all three, and if one stops the others stop too.
`DemoStack` starts the same on a fresh database and free ports, for the benchmarks and the
README's screenshots.
"""

import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

STOP_TIMEOUT_SECONDS = 10
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _commands(port: str, emulator_url: str) -> dict[str, list[str]]:
    manage = [sys.executable, "manage.py"]
    emulator = urlsplit(emulator_url)
    return {
        "emulator": [
            *manage,
            "codeengine_emulator",
            "--host",
            emulator.hostname or "127.0.0.1",
            "--port",
            str(emulator.port or 8765),
        ],
        "worker": [*manage, "run_worker"],
        # gunicorn rather than runserver: it takes a burst of submits without resetting
        # connections, and --reload still restarts it when the code changes.
        "web": [
            sys.executable,
            "-m",
            "gunicorn",
            "codeengine_ui.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "8",
            "--reload",
            "--no-control-socket",
            "--access-logfile",
            "-",
            "--access-logformat",
            "%(m)s %(U)s%(q)s %(s)s %(M)sms",
        ],
    }


def _relay(name: str, stream) -> None:
    for line in iter(stream.readline, ""):
        sys.stdout.write(f"{name:<8}| {line}")
        sys.stdout.flush()


def _stop(processes: dict[str, subprocess.Popen]) -> None:
    for process in processes.values():
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    for process in processes.values():
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "codeengine_ui.settings")
    from django.conf import settings

    port = os.environ.get("PORT", "8000")
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    processes: dict[str, subprocess.Popen] = {}
    stopping = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())

    for name, command in _commands(port, settings.CODEENGINE_EMULATOR_URL).items():
        process = subprocess.Popen(  # noqa: S603 (fixed commands of this project)
            command,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        processes[name] = process
        threading.Thread(target=_relay, args=(name, process.stdout), daemon=True).start()

    print(
        f"\nCode Engine Console: http://127.0.0.1:{port}/\n"
        "Log in as admin with the password printed when the account was created\n"
        "(reset it with: .venv/bin/python manage.py changepassword admin).\n"
        "Ctrl-C stops the web server, the worker and the emulator.\n",
        flush=True,
    )
    exit_code = 0
    while not stopping.wait(0.5):
        ended = [name for name, process in processes.items() if process.poll() is not None]
        if ended:
            print(
                f"\n{', '.join(ended)} stopped (exit code "
                f"{processes[ended[0]].returncode}); stopping the others.",
                flush=True,
            )
            exit_code = 1
            break
    print("\nStopping web server, worker and emulator...", flush=True)
    _stop(processes)
    return exit_code


class DemoStack:
    """The whole console with the demo data on a new SQLite database and free ports, until
    the `with` block ends. Its output goes to `log_path`."""

    HEALTHY_WITHIN_SECONDS = 60

    def __init__(self, database: Path, log_path: Path, *, history: bool = True):
        self.database, self.log_path, self.history = database, log_path, history
        emulator_port, web_port = _free_port(), _free_port()
        self.admin_password = secrets.token_urlsafe(16)
        self.base_url = f"http://127.0.0.1:{web_port}"
        self.environment = {
            **os.environ,
            "DEBUG": "1",
            "PORT": str(web_port),
            "DATABASE_URL": f"sqlite:///{database}",
            "CODEENGINE_EMULATOR_URL": f"http://127.0.0.1:{emulator_port}",
            "CODEENGINE_ALLOWED_HOSTS": f"127.0.0.1:{emulator_port}",
            "DEMO_ADMIN_PASSWORD": self.admin_password,
            "DJANGO_SETTINGS_MODULE": "codeengine_ui.settings",
            "LOG_LEVEL": "WARNING",
        }
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> "DemoStack":
        self.database.parent.mkdir(parents=True, exist_ok=True)
        for leftover in self.database.parent.glob(f"{self.database.name}*"):
            leftover.unlink()
        seed = ["seed_demo"] if self.history else ["seed_demo", "--no-history"]
        for command in (["migrate", "--noinput"], seed):
            subprocess.run(  # noqa: S603 (fixed commands of this project)
                [sys.executable, "manage.py", *command],
                cwd=PROJECT_ROOT,
                env=self.environment,
                check=True,
                capture_output=True,
            )
        with self.log_path.open("w") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "codeengine_ui.launch"],
                cwd=PROJECT_ROOT,
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_until_healthy()
        return self

    def __exit__(self, *exc_info) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGINT)
            self._process.wait(30)

    def _wait_until_healthy(self) -> None:
        import httpx

        deadline = time.monotonic() + self.HEALTHY_WITHIN_SECONDS
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base_url}/health/", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(
            f"The console did not become healthy within {self.HEALTHY_WITHIN_SECONDS} s "
            f"(see {self.log_path})."
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


if __name__ == "__main__":
    sys.exit(main())
