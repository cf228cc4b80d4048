"""Load runs: what the console adds to each call's latency while it drives many users.

A 50-user load run of sleepFor(0.1 s) for 14 s (ramping up over 2 s) is started through
the service and executed by the worker process of the stack as `make run` starts it (web,
worker and emulator, each a process of its own). Once its users are all calling, a bare
httpx client in this process makes the same calls from 50 coroutines of its own for 8 s,
against the same emulator at the same time. For every call of either, the latency its
caller measured minus the emulator's own service time for that call (its completedOn -
startedOn, to the millisecond) is what lies outside the function: the caller's side, the
loopback and the emulator's HTTP handling, which on a busy machine waits for the CPU.

load_run_overhead_p50_ms
    The console's added latency per call: the median of that figure for the load run's
    calls started in the bare client's window, minus the median for the bare client's
    calls (ms). Both meet the same emulator under the same load, so what is left is the
    console's own: its event loop, its client, its worker's other work. Measured in
    ROUNDS load runs one after another, the median of the rounds (a shared machine's
    other work comes and goes).
load_run_call_overhead_p50_ms, load_run_direct_call_overhead_p50_ms
    The two medians themselves, in the round whose difference is the median (ms).
load_run_calls
    How many calls that round's load run made and stored in all (calls).
"""

import asyncio
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared import figure, percentile  # noqa: E402

from codeengine_ui.demo.stack import DemoStack  # noqa: E402

VAR = ROOT / "var"
USERS = 50
SECONDS = 14
RAMP_SECONDS = 2
DIRECT_SECONDS = 8
SERVICE_SECONDS = 0.1
ROUNDS = 5


def _service_ms(started_on, completed_on) -> float:
    return (completed_on - started_on).total_seconds() * 1000


def direct_client(
    base_url: str, token: str, package_id: str, version: str
) -> tuple[list[float], datetime, datetime]:
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
        # Four connections per client, as the console's own pool has them: httpcore looks
        # through every connection of a pool on each request, so one pool of 50 would make
        # this bare client slower than the console, not a floor.
        limits = httpx.Limits(max_connections=4, max_keepalive_connections=4)
        headers = {"X-DOMO-Developer-Token": token}
        clients = [
            httpx.AsyncClient(base_url=base_url, limits=limits, headers=headers)
            for _ in range(-(-USERS // 4))
        ]
        until = time.monotonic() + DIRECT_SECONDS
        await asyncio.gather(*(user(clients[index // 4], until) for index in range(USERS)))
        for client in clients:
            await client.aclose()

    began = datetime.now(UTC)
    asyncio.run(main())
    return overheads, began, datetime.now(UTC)


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

        plan = LoadSettings(
            function=sleeper,
            token=token,
            inputs={"seconds": SERVICE_SECONDS},
            users=USERS,
            duration_seconds=SECONDS,
            ramp_up_seconds=RAMP_SECONDS,
        )
        key = decrypt_token(token.encrypted_value)
        rounds = []
        for _ in range(ROUNDS):
            load_run = start_load_run(plan, admin)
            while LoadRun.objects.get(pk=load_run.pk).active_users < USERS:
                time.sleep(0.1)
            direct, began, ended = direct_client(
                sleeper.instance.base_url, key, sleeper.package_id, sleeper.version
            )
            deadline = time.monotonic() + SECONDS + 60
            while not LoadRun.objects.get(pk=load_run.pk).is_finished:
                if time.monotonic() > deadline:
                    raise SystemExit("the load run did not finish in time")
                time.sleep(0.5)
            calls = Execution.objects.filter(batch_id=load_run.uuid, status="SUCCESS")
            rows = calls.filter(started_at__gte=began, started_at__lt=ended).values_list(
                "duration", "domo_started_on", "domo_completed_on"
            )
            console = [
                duration.total_seconds() * 1000 - _service_ms(started, completed)
                for duration, started, completed in rows
            ]
            console_p50, direct_p50 = percentile(console, 0.5), percentile(direct, 0.5)
            rounds.append((console_p50 - direct_p50, console_p50, direct_p50, calls.count()))
            print(
                f"round {len(rounds)}: load run {console_p50:.1f} ms, bare client "
                f"{direct_p50:.1f} ms over the service time (p50)",
                file=sys.stderr,
            )
        added, console_p50, direct_p50, count = sorted(rounds)[len(rounds) // 2]
        figure("load_run_overhead_p50_ms", added, "ms")
        figure("load_run_call_overhead_p50_ms", console_p50, "ms")
        figure("load_run_direct_call_overhead_p50_ms", direct_p50, "ms")
        figure("load_run_calls", count, "calls")


if __name__ == "__main__":
    main()
