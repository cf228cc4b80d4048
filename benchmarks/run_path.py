"""Run-path benchmark against the whole stack as `make run` starts it.

Starts web server, run worker and emulator (the Procfile, under honcho) on a fresh database and free
ports, then prints:

  run_added_latency_p50 / _p95   submit -> execution finished, minus a direct httpx call
                                 to the same emulator function in the same run (ms)
  runs_50x2s_in_flight_max       50 runs of a 2-second function submitted at once: the most
                                 running at the same moment (runs)
  runs_50x2s_wall                first submit -> last run finished (s)
  database_locked_errors         "database is locked" lines logged meanwhile (count)
"""

import os
import re
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared import figure, percentile  # noqa: E402

from codeengine_ui.demo.stack import DemoStack  # noqa: E402
from tests.html_forms import submitted_fields  # noqa: E402

VAR = ROOT / "var"
LATENCY_SAMPLES = 40
CONCURRENT_RUNS = 50
SLOW_SECONDS = 2


class Console:
    """A logged-in browser stand-in: submits the run form like a person would."""

    def __init__(self, base_url: str, password: str):
        self.http = httpx.Client(base_url=base_url, timeout=30)
        page = self.http.get("/accounts/login/")
        self.http.post(
            "/accounts/login/",
            data={
                "username": "admin",
                "password": password,
                "csrfmiddlewaretoken": self._csrf(page.text),
            },
            headers={"Referer": base_url},
        )

    @staticmethod
    def _csrf(html: str) -> str:
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)

    def run_form(self, function, inputs: dict) -> dict:
        """The function's run form as a browser would post it, with `inputs` typed into the
        top-level fields named."""
        page = self.http.get(f"/functions/{function.pk}/run/").text
        form = {name: values for name, values in submitted_fields(page).lists()}
        positions = {p["name"]: index for index, p in enumerate(function.parameters)}
        for name, value in inputs.items():
            form[f"in.{positions[name]}"] = [str(value)]
        return form

    def submit(self, function, form: dict) -> int:
        response = self.http.post(
            f"/functions/{function.pk}/run/",
            data=form,
            headers={"Referer": str(self.http.base_url)},
        )
        location = response.headers.get("location", "")
        if not location:
            errors = re.findall(r'class="field-error"[^>]*>([^<]+)<', response.text)
            raise SystemExit(f"the run was not accepted: {errors or response.status_code}")
        return int(re.search(r"/executions/(\d+)/", location).group(1))


def wait_finished(execution_ids: list[int], timeout: float = 120):
    from codeengine_ui.runs.models import IN_PROGRESS_STATUSES, Execution

    deadline = time.monotonic() + timeout
    while Execution.objects.filter(pk__in=execution_ids, status__in=IN_PROGRESS_STATUSES).exists():
        if time.monotonic() > deadline:
            raise SystemExit("runs did not finish in time (see var/bench-stack.log)")
        time.sleep(0.005)
    return list(Execution.objects.filter(pk__in=execution_ids))


def measure_added_latency(console: Console, emulator_url: str, token: str) -> list[float]:
    from django.utils import timezone

    from codeengine_ui.catalog.models import Function

    greet = Function.objects.get(function_name="greet", version="1.1.0")
    direct = httpx.Client(base_url=emulator_url, headers={"X-DOMO-Developer-Token": token})
    body = {"inputVariables": {"name": "Bench", "excited": None}, "settings": {"getLogs": True}}
    added = []
    for _ in range(LATENCY_SAMPLES):
        started = time.perf_counter()
        direct.post(
            f"/api/codeengine/v2/packages/{greet.package_id}/versions/1.1.0/functions/greet",
            json=body,
        ).raise_for_status()
        direct_ms = (time.perf_counter() - started) * 1000

        form = console.run_form(greet, {"name": "Bench"})
        submitted = timezone.now()
        [execution] = wait_finished([console.submit(greet, form)])
        assert execution.status == "SUCCESS", execution.error_message
        console_ms = (execution.finished_at - submitted).total_seconds() * 1000
        added.append(console_ms - direct_ms)
    return added


def measure_concurrency(console: Console) -> tuple[int, float]:
    from codeengine_ui.catalog.models import Function

    sleeper = Function.objects.get(function_name="sleepFor")
    forms = [console.run_form(sleeper, {"seconds": SLOW_SECONDS}) for _ in range(CONCURRENT_RUNS)]
    started = time.time()
    with ThreadPoolExecutor(max_workers=CONCURRENT_RUNS) as pool:
        ids = list(pool.map(lambda form: console.submit(sleeper, form), forms))
    executions = wait_finished(ids)
    assert {e.status for e in executions} == {"SUCCESS"}, {e.error_message for e in executions}
    events = sorted(
        [(e.started_at, 1) for e in executions] + [(e.finished_at, -1) for e in executions],
        key=lambda x: (x[0], x[1]),
    )
    in_flight = most = 0
    for _, change in events:
        in_flight += change
        most = max(most, in_flight)
    wall = max(e.finished_at for e in executions).timestamp() - started
    return most, wall


def main() -> None:
    log_path = VAR / "bench-stack.log"
    with DemoStack(VAR / "bench.sqlite3", log_path, history=False) as stack:
        os.environ.update(stack.environment)
        import django

        django.setup()
        from django.conf import settings

        console = Console(stack.base_url, stack.admin_password)
        added = measure_added_latency(
            console, settings.CODEENGINE_EMULATOR_URL, settings.CODEENGINE_EMULATOR_TOKEN
        )
        figure("run_added_latency_p50", statistics.median(added), "ms")
        figure("run_added_latency_p95", percentile(added, 0.95), "ms")
        most, wall = measure_concurrency(console)
        figure("runs_50x2s_in_flight_max", most, "runs")
        figure("runs_50x2s_wall", wall, "s")
    locked = log_path.read_text().lower().count("database is locked")
    figure("database_locked_errors", locked, "count")


if __name__ == "__main__":
    main()
