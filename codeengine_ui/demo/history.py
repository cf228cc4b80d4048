"""A month of the team's past runs for the demo, so every page has something to show.

Each run really goes through the console's run path and Code Engine client, against the
emulator in-process: results, logs and failures are what the demo functions produce. The
run is then moved back to its moment in the past, with a duration like a real instance's.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.utils import timezone

from codeengine_ui.runs.models import Execution, ExecutionStatus, RunSource
from codeengine_ui.runs.services import start_run
from codeengine_ui.runs.tasks import call_code_engine

from .emulator import CodeEngineEmulator, demo_users

DAYS = 30


@dataclass(frozen=True)
class Scenario:
    function_name: str
    weight: int
    inputs: tuple[dict, ...]
    milliseconds: tuple[int, int]  # how long such a run takes on a real instance


CUSTOMERS = ("481303514", "481303515", "481303516")
SCENARIOS = (
    Scenario(
        "greet",
        30,
        (
            {"name": "Ada", "excited": True},
            {"name": "Grace", "excited": False},
            {"name": "Linus", "excited": None},
            {"name": "Margaret", "excited": True},
            {"name": "Katherine", "excited": False},
        ),
        (140, 520),
    ),
    Scenario(
        "summariseOrder",
        16,
        tuple(
            {
                "order": {
                    "orderId": f"SO-{1040 + index}",
                    "customer": CUSTOMERS[index % 3],
                    "lines": [
                        {"sku": "WIDGET-S", "quantity": 2 + index, "unitPrice": 19.5},
                        {"sku": "GADGET-XL", "quantity": 1, "unitPrice": 249.0},
                    ][: 1 + index % 2],
                },
                "notes": None if index % 3 == 0 else "Deliver before Friday",
                "tags": ["rush"] if index % 2 else [],
            }
            for index in range(6)
        ),
        (380, 1600),
    ),
    Scenario(
        "averageOf",
        10,
        ({"values": [12.5, 14.25, 9.75], "roundTo": 1}, {"values": [3.2, 4.8], "roundTo": 2}),
        (110, 300),
    ),
    Scenario("addNumbers", 8, ({"a": 40, "b": 2}, {"a": 1200, "b": 34}), (90, 240)),
    Scenario(
        "failWithError",
        6,
        ({"reason": "The CRM answered 503 Service Unavailable"}, {"reason": None}),
        (200, 900),
    ),
    Scenario("wrongResultType", 2, ({},), (120, 260)),
    Scenario("returnNothing", 1, ({},), (100, 200)),
    # Longer than the console waits: the call ends as a time-out (a call error).
    Scenario("sleepFor", 2, ({"seconds": 900},), (0, 0)),
)


def add_demo_history(functions, token, users, *, runs: int = 64, seed: int = 7) -> int:
    """Record `runs` past runs of the saved demo `functions` (by function name), spread over
    the last DAYS days, busier lately and during working hours. Returns how many."""
    rng = random.Random(seed)  # noqa: S311 (demo data, not secrets)
    now = timezone.now()
    transport = httpx.MockTransport(_InProcessEmulator().answer)
    scenarios = [scenario for scenario in SCENARIOS if scenario.function_name in functions]
    moments = sorted(_moment(rng, now) for _ in range(runs))
    for queued_at in moments:
        scenario = rng.choices(scenarios, weights=[s.weight for s in scenarios])[0]
        execution = start_run(
            functions[scenario.function_name],
            rng.choice(scenario.inputs),
            token,
            rng.choice(users),
            RunSource.DEMO,
            queue=False,
        )
        execution.mark_running("demo-history")
        call_code_engine(execution, transport)
        _move_to(execution, queued_at, rng, scenario)
    return len(moments)


class _InProcessEmulator:
    def __init__(self):
        self.emulator = CodeEngineEmulator(demo_users(settings.CODEENGINE_EMULATOR_TOKEN))

    def answer(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/sleepFor"):
            raise httpx.ReadTimeout("The demo's long run", request=request)
        reply = self.emulator.handle(
            request.method, request.url.raw_path.decode(), dict(request.headers), request.content
        )
        return httpx.Response(
            reply.status, content=reply.encoded(), headers={"Content-Type": reply.content_type}
        )


def _moment(rng: random.Random, now: datetime) -> datetime:
    """A past moment: a third of the runs in the last two days, most in working hours."""
    local_now = timezone.localtime(now)
    for _ in range(3):  # weekends are quieter
        days_back = rng.choice([0, 0, 1, 1, 1]) if rng.random() < 0.35 else rng.randrange(DAYS)
        day = local_now - timedelta(days=days_back)
        if day.weekday() < 5:
            break
    moment = day.replace(
        hour=rng.randint(8, 18), minute=rng.randrange(60), second=rng.randrange(60)
    )
    if moment >= now:
        moment = now - timedelta(minutes=rng.randint(5, 240))
    return moment


def _move_to(execution: Execution, queued_at: datetime, rng: random.Random, scenario) -> None:
    started_at = queued_at + timedelta(milliseconds=rng.randint(40, 400))
    if execution.status == ExecutionStatus.ERROR:
        duration = timedelta(seconds=settings.CODEENGINE_TIMEOUT_SECONDS)
    else:
        duration = timedelta(milliseconds=rng.randint(*scenario.milliseconds))
    moved = {
        "queued_at": queued_at,
        "started_at": started_at,
        "finished_at": started_at + duration,
        "duration": started_at + duration - queued_at,
    }
    if execution.domo_started_on:
        moved["domo_started_on"] = started_at + timedelta(milliseconds=30)
        moved["domo_completed_on"] = started_at + duration - timedelta(milliseconds=20)
    Execution.objects.filter(pk=execution.pk).update(**moved)
