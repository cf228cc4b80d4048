"""Pages while the API is long-polled: the whole stack as `make run` starts it (web server,
run worker and emulator, under honcho, on a fresh database and free ports).

One API key asks `GET /api/v1/runs/<id>?wait=25` for a slow run from 200 threads at once,
each asking again as soon as it is answered (after the `Retry-After` it is given, as `ce`
does). The stack's requests-per-minute limits are raised out of the way, so only the bounds
on waiting protect the pages. Meanwhile the login page is loaded one time after another:

  login_page_p95_with_200_waiters_ms   the login page, from a new connection to its last
                                       byte (p95 of 30 loads, ms)
"""

import os
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared import figure, percentile  # noqa: E402

from codeengine_ui.demo.stack import DemoStack  # noqa: E402

VAR = ROOT / "var"
WAITERS = 200
LOADS = 30
WAIT_SECONDS = 25
# Longer than the whole benchmark, within Code Engine's five minutes.
SLOW_RUN_SECONDS = 290


def _waiter(base_url: str, key: str, run_id: int, stop: threading.Event) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=120) as http:
        while not stop.is_set():
            try:
                response = http.get(f"/api/v1/runs/{run_id}", params={"wait": WAIT_SECONDS})
            except httpx.HTTPError:
                stop.wait(1)
                continue
            stop.wait(float(response.headers.get("Retry-After") or 0))


def _login_page_ms(base_url: str) -> float:
    started = time.perf_counter()
    with httpx.Client(base_url=base_url, timeout=600) as http:
        http.get("/accounts/login/").raise_for_status()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    # Only the bounds on waiting are measured: the rate limits would refuse the waiters.
    os.environ.update(API_REQUESTS_PER_MINUTE="1000000", API_USER_REQUESTS_PER_MINUTE="1000000")
    database, log = VAR / "bench-waiters.sqlite3", VAR / "bench-waiters.log"
    with DemoStack(database, log, history=False) as stack:
        key = stack.api_key("bench-waiters")
        api = httpx.Client(
            base_url=f"{stack.base_url}/api/v1",
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        )
        sleep_for = api.get("/functions", params={"search": "sleepFor"}).json()[0]
        body = {"function": sleep_for["id"], "inputs": {"seconds": SLOW_RUN_SECONDS}}
        run = api.post("/runs", json=body).json()
        while run["status"] != "running":
            time.sleep(0.2)
            run = api.get(f"/runs/{run['id']}").json()
        for _ in range(5):  # warm up
            _login_page_ms(stack.base_url)

        stop = threading.Event()
        for _ in range(WAITERS):
            threading.Thread(
                target=_waiter, args=(stack.base_url, key, run["id"], stop), daemon=True
            ).start()
        time.sleep(3)  # every waiter has asked
        loads = [_login_page_ms(stack.base_url) for _ in range(LOADS)]
        stop.set()
        figure("login_page_p95_with_200_waiters_ms", percentile(loads, 0.95), "ms")


if __name__ == "__main__":
    main()
