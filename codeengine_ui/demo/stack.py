"""The whole console with the demo data, on a new database and free ports: what `make run`
starts (the Procfile, run by honcho), for the benchmarks and the README's screenshots."""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent


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
            # Runs go through the worker, as with make run, even when a test session (which
            # runs tasks in-process) starts the stack.
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "LOG_LEVEL": "WARNING",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
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
        honcho = Path(sys.executable).parent / "honcho"
        with self.log_path.open("w") as log:
            self._process = subprocess.Popen(  # noqa: S603 (our own Procfile)
                # Settings come from this environment; Django reads .env itself.
                [
                    honcho,
                    "start",
                    "--no-colour",
                    "--env",
                    os.devnull,
                    "--port",
                    self.environment["PORT"],
                ],
                cwd=PROJECT_ROOT,
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_until_healthy()
        return self

    def log_in(self, page) -> None:
        """Log a Playwright page (whose base URL is this stack's) in as the demo admin."""
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill("admin")
        page.get_by_label("Password").fill(self.admin_password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{self.base_url}/")

    def api_key(self, name: str, scope: str = "run") -> str:
        """A new API key of the demo admin, named `name`, for a script to call this stack."""
        created = subprocess.run(  # noqa: S603 (a fixed command of this project)
            [sys.executable, "manage.py", "create_api_key", "admin", name, "--scope", scope],
            cwd=PROJECT_ROOT,
            env=self.environment,
            capture_output=True,
            text=True,
            check=True,
        )
        return created.stdout.strip()

    def manage(self, *arguments: str) -> str:
        """`manage.py` with these arguments on this stack's database: what it printed."""
        done = subprocess.run(  # noqa: S603 (this project's own command)
            [sys.executable, "manage.py", *arguments],
            cwd=PROJECT_ROOT,
            env=self.environment,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

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
