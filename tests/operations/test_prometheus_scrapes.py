"""A real Prometheus (Debian's prometheus) scrapes /metrics from the console's web server,
started as the Procfile starts it, with the Bearer token, and holds the runs written by
status."""

import json
import shutil
import socket
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.conf import settings as django_settings

from codeengine_ui.runs.models import ExecutionStatus
from tests.cluster_console import web_command
from tests.conftest import stored_run
from tests.runs.conftest import child_process_environment

PROMETHEUS = shutil.which("prometheus") or (
    "/usr/bin/prometheus" if Path("/usr/bin/prometheus").exists() else None
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        PROMETHEUS is None,
        reason="Prometheus is not installed (make prometheus installs Debian's prometheus)",
    ),
]

TOKEN = "scrape-token-5c0e7a91d2b84f36a7e1"
JOB = "console"
TIMEOUT = 30


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def processes(tmp_path):
    """Starts a process logging to tmp_path/<name>.log; all are killed at the end."""
    started: list[subprocess.Popen] = []

    def start(name: str, command: list[str], **options) -> subprocess.Popen:
        log = (tmp_path / f"{name}.log").open("w")
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, **options)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def _wait_for(answer, what: str, logs: Path):
    """Calls `answer` until it returns something other than None (a refused connection
    counts as None), for up to TIMEOUT seconds."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        try:
            found = answer()
        except httpx.TransportError:
            found = None
        if found is not None:
            return found
        time.sleep(0.2)
    tails = "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in logs.glob("*.log"))
    pytest.fail(f"{what} within {TIMEOUT} s\n{tails}")


def _start_web(processes, logs: Path) -> str:
    """The console's web server on a free port, with METRICS_TOKEN and no allowed address;
    its address."""
    port = _free_port()
    environment = {
        **child_process_environment(),
        "METRICS_TOKEN": TOKEN,
        "METRICS_ALLOWED_NETWORKS": "",
    }
    processes(
        "web",
        web_command(port),
        env=environment,
        cwd=django_settings.BASE_DIR,
    )
    address = f"127.0.0.1:{port}"
    refused = _wait_for(
        lambda: httpx.get(f"http://{address}/metrics").status_code or None,
        "the web server did not answer",
        logs,
    )
    assert refused == 403  # without the token
    return address


def _start_prometheus(processes, folder: Path, target: str) -> str:
    """Prometheus scraping `target` every second, its data in `folder`; its HTTP API's
    base URL."""
    port = _free_port()
    config = {
        "scrape_configs": [
            {
                "job_name": JOB,
                "metrics_path": "/metrics",
                "scrape_interval": "1s",
                "authorization": {"credentials": TOKEN},
                "static_configs": [{"targets": [target]}],
            }
        ]
    }
    (folder / "prometheus.yml").write_text(json.dumps(config, indent=2))  # JSON is YAML
    processes(
        "prometheus",
        [
            PROMETHEUS,
            f"--config.file={folder / 'prometheus.yml'}",
            f"--storage.tsdb.path={folder / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        cwd=folder,
    )
    return f"http://127.0.0.1:{port}"


def _query(prometheus: str, expression: str) -> list[dict]:
    answer = httpx.get(f"{prometheus}/api/v1/query", params={"query": expression})
    if answer.status_code == 503:
        return []  # still opening its storage
    answer.raise_for_status()
    return answer.json()["data"]["result"]


def test_prometheus_scrapes_the_runs_by_status_with_the_token(
    greet, developer_token, member, processes, tmp_path
):
    written = {
        ExecutionStatus.SUCCESS: [2, 3, 5],
        ExecutionStatus.FAILED: [30, 40],
        ExecutionStatus.ERROR: [1],
    }
    for status, durations in written.items():
        for seconds in durations:
            stored_run(
                greet,
                developer_token,
                member,
                {"name": f"{status}-{seconds}"},
                status=status,
                duration=timedelta(seconds=seconds),
            )
    # Started once the runs are written, so that the first scrape holds them all.
    server = _start_prometheus(processes, tmp_path, _start_web(processes, tmp_path))

    series = _wait_for(
        lambda: _query(server, "ce_runs_total") or None,
        "Prometheus held no ce_runs_total",
        tmp_path,
    )

    # The Domo instance is `domo_instance`; `instance` is the address Prometheus scraped.
    counted = {
        (s["metric"]["domo_instance"], s["metric"]["status"], s["metric"]["source"]): float(
            s["value"][1]
        )
        for s in series
    }
    assert counted == {
        ("emulator", status.value, "form"): len(durations) for status, durations in written.items()
    }
    assert {s["metric"]["job"] for s in series} == {JOB}
    [up] = _query(server, f'up{{job="{JOB}"}}')
    assert up["value"][1] == "1"
    [count] = _query(server, "ce_run_duration_seconds_count")
    assert float(count["value"][1]) == sum(len(durations) for durations in written.values())
