import contextlib
import io
import os
import re
import sys
import threading
import types
import uuid

import pytest
from django.db import connection

from tests.cluster_console import Console
from tests.postgres_cluster import PostgresCluster

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_form_data(function, token, inputs: dict, *, get_logs=True, submission_id=None) -> dict:
    """POST data for a run, `inputs` giving the text typed into top-level fields by name
    (`when.tz` for the time zone of the date-time input `when`)."""
    positions = {parameter["name"]: index for index, parameter in enumerate(function.parameters)}
    data = {}
    for key, value in inputs.items():
        name, dot, part = key.partition(".")
        data[f"in.{positions[name]}{dot}{part}"] = value
    data.update(token=token.pk, submission_id=str(submission_id or uuid.uuid4()))
    if get_logs:
        data["get_logs"] = "on"
    return data


def execution_id_from(response) -> int:
    return int(re.fullmatch(r"/executions/(\d+)/", response["Location"]).group(1))


def child_process_environment() -> dict:
    """What a worker process needs to use this test session's database and emulators."""
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        database_url = f"sqlite:///{settings_dict['NAME']}"
    else:
        database_url = "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(**settings_dict)
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url,
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
    }


def posted_by_python_snippet(code: str, monkeypatch) -> dict:
    """Run the httpx snippet with a stand-in for httpx: the URL and options it posts."""
    posted = {}

    class Reply:
        def raise_for_status(self):
            pass

        def json(self):
            return {"status": "SUCCESS", "result": None}

    def post(url, **options):
        posted.update(options, url=url)
        return Reply()

    monkeypatch.setitem(sys.modules, "httpx", types.SimpleNamespace(post=post))
    monkeypatch.setenv("DOMO_DEVELOPER_TOKEN", "token-from-the-environment")
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(code, "snippet.py", "exec"), {})  # noqa: S102 (our own snippet)
    return posted


def running_worker(settings):
    """A run worker in a thread, on the database queue, until the test ends."""
    from codeengine_ui.runs.worker import RunWorker

    settings.TASKS = DATABASE_TASKS
    worker = RunWorker(concurrency=2, poll_interval=0.05)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    yield worker
    worker.stop()
    thread.join(15)


# --- A PostgreSQL server of the test's own, and the console's processes on it -------------


@pytest.fixture
def cluster():
    server = PostgresCluster()
    yield server
    server.destroy()


@pytest.fixture
def console(cluster, emulator, tmp_path):
    console = Console(cluster, emulator.url, tmp_path)
    yield console
    console.stop()
