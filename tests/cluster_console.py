"""The console's own code, run in a process of its own against a database that is not the
test session's (a PostgreSQL server a test starts, stops and restarts): set up a member,
an instance and the demo's functions, queue runs, and read them back, as JSON on stdout.

    python -m tests.cluster_console setup BASE_URL
    python -m tests.cluster_console queue FUNCTION COUNT SECONDS [SOURCE [USER]]

The database is DATABASE_URL's; the process uses the test settings. `Console` drives it
from a test, with worker processes and the web server on the same database.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from tests.postgres_cluster import PostgresCluster

ROOT = Path(__file__).resolve().parent.parent


def web_command(port: int) -> list[str]:
    """The web server as the Procfile starts it: gunicorn, two processes of 16 threads."""
    return [
        str(Path(sys.executable).parent / "gunicorn"),
        "codeengine_ui.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--threads",
        "16",
        "--no-control-socket",
    ]


def setup(base_url: str) -> dict:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from codeengine_ui.access.models import ApiKey, ApiKeyScope
    from codeengine_ui.catalog.models import Instance
    from tests.conftest import DEVELOPER_TOKEN, make_token, save_demo_function, user_with_role

    call_command("migrate", verbosity=0)
    users = get_user_model()
    for name in ("member", "other"):
        user_with_role(users, name, "member")
    instance = Instance.objects.create(name="cluster", custom_base_url=base_url)
    token = make_token(instance, "Developer", DEVELOPER_TOKEN)
    functions = {name: save_demo_function(instance, token, name).pk for name in ("sleepFor",)}
    member = users.objects.get(username="member")
    _, key = ApiKey.issue(member, "cluster", ApiKeyScope.RUN)
    return {"instance": instance.pk, "token": token.pk, "functions": functions, "key": key}


def queue(function_id: str, count: str, seconds: str, source="batch", user="member") -> list:
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from codeengine_ui.catalog.models import AccessToken, Function
    from codeengine_ui.runs.models import RunSource
    from codeengine_ui.runs.services import start_run

    function = Function.objects.get(pk=function_id)
    token = AccessToken.objects.get(instance=function.instance_id)
    requester = get_user_model().objects.get(username=user)
    with transaction.atomic():  # queued together, so the workers compete for them
        return [
            start_run(
                function,
                # A distinct body for each run: the emulator counts a body seen before.
                {"seconds": round(float(seconds) + n / 1e6, 6)},
                token,
                requester,
                RunSource(source),
            ).pk
            for n in range(int(count))
        ]


class Console:
    """The console's code and workers on `cluster`, calling Code Engine at `base_url`."""

    def __init__(self, cluster: PostgresCluster, base_url: str, log_folder):
        self.cluster, self.log_folder = cluster, log_folder
        host = base_url.split("://", 1)[1]
        self.environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "DATABASE_URL": cluster.url(),
            "CODEENGINE_ALLOWED_HOSTS": f"{os.environ['CODEENGINE_ALLOWED_HOSTS']},{host}",
        }
        self.processes: list[subprocess.Popen] = []
        self.ids = self._console("setup", base_url)

    def _console(self, *arguments: str):
        done = subprocess.run(
            [sys.executable, "-m", "tests.cluster_console", *arguments],
            env=self.environment,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(done.stdout.strip().splitlines()[-1])

    def queue(self, count: int, seconds: float) -> list[int]:
        return self._console(
            "queue", str(self.ids["functions"]["sleepFor"]), str(count), str(seconds)
        )

    def worker(self, **settings) -> subprocess.Popen:
        environment = {**self.environment, **{k: str(v) for k, v in settings.items()}}
        log = (self.log_folder / f"worker-{len(self.processes)}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker", "--poll-interval", "0.05"],
            env=environment,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        return process

    def web(self, port: int, **settings) -> subprocess.Popen:
        """The web server as the Procfile starts it (gunicorn, two processes of 16 threads)."""
        environment = {**self.environment, **{k: str(v) for k, v in settings.items()}}
        log = (self.log_folder / f"web-{len(self.processes)}.log").open("w")
        process = subprocess.Popen(
            web_command(port),
            env=environment,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        return process

    def rows(self, sql: str, *parameters) -> list[tuple]:
        with psycopg.connect(self.cluster.url(), connect_timeout=5) as connection:
            return connection.execute(sql, parameters).fetchall()

    def runs(self, ids: list[int]) -> dict[int, dict]:
        columns = ("status", "worker_id", "call_sent_at", "story", "result", "error_message")
        rows = self.rows(
            f"SELECT id, {', '.join(columns)} FROM runs_execution WHERE id = ANY(%s)",  # noqa: S608
            ids,
        )
        return {row[0]: dict(zip(columns, row[1:], strict=True)) for row in rows}

    def wait(self, condition, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if condition():
                    return
            except psycopg.OperationalError:
                pass  # the server is starting
            if time.monotonic() > deadline:
                logs = "\n".join(p.read_text()[-2000:] for p in self.log_folder.glob("*.log"))
                pytest.fail(f"{what} within {timeout} s\n{logs}")
            time.sleep(0.1)

    def live_workers(self) -> int:
        return self.rows("SELECT count(*) FROM runs_workerheartbeat")[0][0]

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait(10)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    os.environ["TASKS_BACKEND"] = "django_tasks_db.DatabaseBackend"
    import django

    django.setup()
    command, *arguments = sys.argv[1:]
    answer = {"setup": setup, "queue": queue}[command](*arguments)
    print(json.dumps(answer))


if __name__ == "__main__":
    main()
