"""Load runs: what the console adds to each call's latency while it drives many users.

load_run_overhead_p50_ms
    A 50-user load run of sleepFor(0.1 s) for 10 s (ramping up over 2 s), started through
    the service and executed by the worker process of the stack as `make run` starts it
    (web, worker and emulator, each a process of its own). For every call, the latency the
    console measured and stored (the call's duration) minus the emulator's own service
    time for that call (its completedOn - startedOn, to the millisecond); the median over
    every call (ms). What remains is everything between the emulator's function and the
    console's clock: the worker's event loop and client, loopback and the emulator's own
    HTTP handling, so it is an upper bound of the console's share.
load_run_direct_client_overhead_p50_ms
    The same figure for a bare httpx client doing the same calls from 50 coroutines for as
    long, against the same emulator, without the console (ms): the floor the emulator and
    loopback alone give on this machine.
load_run_calls
    How many calls the 50-user load run made and stored (calls).
"""

import asyncio
import os
import sys
import time
from datetime import datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared import figure, percentile  # noqa: E402

from codeengine_ui.demo.stack import DemoStack  # noqa: E402

VAR = ROOT / "var"
USERS = 50
SECONDS = 10
SERVICE_SECONDS = 0.1


def _service_ms(started_on, completed_on) -> float:
    return (completed_on - started_on).total_seconds() * 1000


def direct_client(base_url: str, token: str, package_id: str, version: str) -> list[float]:
    """Per-call latency minus service time, for a bare httpx client (ms)."""
    path = f"/api/codeengine/v2/packages/{package_id}/versions/{version}/functions/sleepFor"
    body = {"inputVariables": {"seconds": SERVICE_SECONDS}, "settings": {"getLogs": False}}
    overheads: list[float] = []

    async def user(client: httpx.AsyncClient, until: float) -> None:
        while time.monotonic() < until:
            began = time.monotonic()
            reply = await client.post(path, json=body)
            latency = (time.monotonic() - began) * 1000
            data = reply.json()
            started = datetime.fromisoformat(data["startedOn"])
            completed = datetime.fromisoformat(data["completedOn"])
            overheads.append(latency - _service_ms(started, completed))

    async def main() -> None:
        limits = httpx.Limits(max_connections=USERS, max_keepalive_connections=USERS)
        headers = {"X-DOMO-Developer-Token": token}
        async with httpx.AsyncClient(base_url=base_url, limits=limits, headers=headers) as client:
            until = time.monotonic() + SECONDS
            await asyncio.gather(*(user(client, until) for _ in range(USERS)))

    asyncio.run(main())
    return overheads


def main() -> None:
    with DemoStack(VAR / "bench-load.sqlite3", VAR / "bench-load.log", history=False) as stack:
        os.environ.update(stack.environment)
        import django

        django.setup()
        from django.contrib.auth import get_user_model

        from codeengine_ui.catalog.encryption import decrypt_token
        from codeengine_ui.catalog.models import Function
        from codeengine_ui.load_runs.models import LoadRun
        from codeengine_ui.load_runs.services import LoadSettings, start_load_run
        from codeengine_ui.runs.models import Execution

        sleeper = Function.objects.select_related("instance").get(
            function_name="sleepFor", version="1.1.0"
        )
        admin = get_user_model().objects.get(username="admin")
        token = sleeper.token_for(admin)

        direct = direct_client(
            sleeper.instance.base_url,
            decrypt_token(token.encrypted_value),
            sleeper.package_id,
            sleeper.version,
        )
        time.sleep(1.5)  # the emulator's connections from the direct client close

        plan = LoadSettings(
            function=sleeper,
            token=token,
            inputs={"seconds": SERVICE_SECONDS},
            users=USERS,
            duration_seconds=SECONDS,
            ramp_up_seconds=2,
        )
        load_run = start_load_run(plan, admin)
        deadline = time.monotonic() + SECONDS + 60
        while not LoadRun.objects.get(pk=load_run.pk).is_finished:
            if time.monotonic() > deadline:
                raise SystemExit("the load run did not finish in time")
            time.sleep(0.5)
        rows = Execution.objects.filter(batch_id=load_run.uuid, status="SUCCESS").values_list(
            "duration", "domo_started_on", "domo_completed_on"
        )
        console = [
            duration.total_seconds() * 1000 - _service_ms(started, completed)
            for duration, started, completed in rows
        ]
        figure("load_run_overhead_p50_ms", percentile(console, 0.5), "ms")
        figure("load_run_direct_client_overhead_p50_ms", percentile(direct, 0.5), "ms")
        figure("load_run_calls", len(console), "calls")


if __name__ == "__main__":
    main()
