"""The API and the command line against the whole stack as `make run` starts it (web
server, run worker and emulator, under honcho, on a fresh database and free ports).

  api_submit_p50 / _p95      POST /api/v1/runs -> 201 (ms, 50 samples)
  api_run_wait_added_p50     POST /api/v1/runs?wait=30 -> the result, minus a direct httpx
                             call to the same emulator function just before (ms)
  cli_run_wall_p50           a whole `ce run --wait` process for the same instant function,
                             Python start-up included, minus the direct call (ms, 10 samples)
  api_batch_1000_submit_s    POST /api/v1/batches with 1,000 input sets -> 201 (s)
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared import figure, percentile  # noqa: E402

from codeengine_ui.demo.stack import DemoStack  # noqa: E402

VAR = ROOT / "var"
SAMPLES = 50
CLI_SAMPLES = 10
CE = Path(sys.executable).parent / "ce"


def timed(call) -> tuple[float, object]:
    started = time.perf_counter()
    value = call()
    return (time.perf_counter() - started) * 1000, value


def main() -> None:
    with DemoStack(VAR / "bench-api.sqlite3", VAR / "bench-api.log", history=False) as stack:
        key = stack.api_key("bench")
        api = httpx.Client(
            base_url=f"{stack.base_url}/api/v1",
            headers={"Authorization": f"Bearer {key}"},
            timeout=120,
        )
        emulator = stack.environment["CODEENGINE_EMULATOR_URL"]
        os.environ.update(stack.environment)
        import django

        django.setup()
        from django.conf import settings

        from codeengine_ui.catalog.models import Function

        greet = Function.objects.get(function_name="greet", version="1.1.0")
        direct = httpx.Client(
            base_url=emulator,
            headers={"X-DOMO-Developer-Token": settings.CODEENGINE_EMULATOR_TOKEN},
        )
        path = f"/api/codeengine/v2/packages/{greet.package_id}/versions/1.1.0/functions/greet"

        def direct_call() -> float:
            body = {"inputVariables": {"name": "Direct"}, "settings": {"getLogs": True}}
            elapsed, response = timed(lambda: direct.post(path, json=body))
            response.raise_for_status()
            return elapsed

        run = {"function": greet.pk, "inputs": {"name": "Bench"}}
        for _ in range(3):  # warm up
            api.post("/runs?wait=30", json=run).raise_for_status()

        submits = []
        for _ in range(SAMPLES):
            elapsed, response = timed(lambda: api.post("/runs", json=run))
            assert response.status_code == 201, response.text
            submits.append(elapsed)
            time.sleep(0.02)
        figure("api_submit_p50", statistics.median(submits), "ms")
        figure("api_submit_p95", percentile(submits, 0.95), "ms")

        added = []
        for _ in range(SAMPLES):
            direct_ms = direct_call()
            elapsed, response = timed(lambda: api.post("/runs?wait=30", json=run))
            assert response.json()["status"] == "SUCCESS", response.text
            added.append(elapsed - direct_ms)
        figure("api_run_wait_added_p50", statistics.median(added), "ms")

        with tempfile.TemporaryDirectory() as home:
            environment = {**os.environ, "XDG_CONFIG_HOME": home}
            login = [str(CE), "login", stack.base_url, "--key", key]
            subprocess.run(login, env=environment, check=True, capture_output=True)
            command = [str(CE), "run", str(greet.pk), "--input", "name=Bench", "-q"]
            walls = []
            for _ in range(CLI_SAMPLES):
                direct_ms = direct_call()
                elapsed, done = timed(
                    lambda: subprocess.run(command, env=environment, capture_output=True, text=True)
                )
                assert done.returncode == 0, done.stderr
                walls.append(elapsed - direct_ms)
        figure("cli_run_wall_p50", statistics.median(walls), "ms")

        batch = {"function": greet.pk, "inputs": [{"name": f"n{i}"} for i in range(1000)]}
        elapsed, response = timed(lambda: api.post("/batches", json=batch))
        assert response.status_code == 201, response.text
        figure("api_batch_1000_submit_s", elapsed / 1000, "s")


if __name__ == "__main__":
    main()
