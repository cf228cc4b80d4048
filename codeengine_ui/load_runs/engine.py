"""The virtual users of a load run: coroutines on an event loop of their own thread, each
calling the function one call after another through the Code Engine client.

Nothing here touches the database, so nothing but the call itself sits between the two
clock readings of a call's latency: the controller (tasks.py) reads `results` and writes
them in batches from another thread, and steers the users through plain attributes
(`allowed_users`, the instance's budget; `hold_until`, a 429's back-off) and `stop()`.
"""

import asyncio
import contextlib
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from codeengine_ui.domo.client import CodeEngineClient, FunctionExecution, HttpPool
from codeengine_ui.domo.errors import RateLimitedError

NO_RETRY_AFTER_SECONDS = 1.0  # a 429 without Retry-After holds the users back this long
WAIT_STEP_SECONDS = 0.02  # how often a waiting user looks again (budget, back-off)


class Outcome:
    SUCCESS = "success"
    FAILED = "failed"  # Code Engine ran it and it failed (FAILED, RESULT_TYPE_FAILURE...)
    RATE_LIMITED = "rate_limited"  # 429
    ERROR = "error"  # no answer: network, time limit, refused token...
    STOPPED = "stopped"  # cut short by a stop: its answer was not awaited


@dataclass
class CallResult:
    user: int
    started: float  # wall-clock time (time.time()) the call began
    latency: float  # seconds, from the monotonic clock
    second: int  # the second of the load run it ended in
    outcome: str
    execution: FunctionExecution | None = None
    error: BaseException | None = None
    active_users: int = 0


@dataclass(frozen=True)
class Plan:
    users: int
    duration_seconds: int | None
    total_calls: int | None
    ramp_up_seconds: int
    deadline_seconds: float  # no call starts after this, whatever the plan
    package_id: str
    version: str
    function_name: str
    input_variables: dict[str, Any]
    time_limit: float | None = None


class LoadEngine:
    def __init__(self, plan: Plan, client_factory: Callable[[], tuple[CodeEngineClient, HttpPool]]):
        """`client_factory`, called on the users' loop, gives the client and the pool of
        kept-alive connections it calls through (one connection per user)."""
        self.plan = plan
        self._client_factory = client_factory
        self.results: deque[CallResult] = deque()
        self.allowed_users = plan.users  # lowered by the instance's budget
        self.hold_until = 0.0  # monotonic: no call starts before
        self.active_users = 0
        self.started_calls = 0
        self.first_429_at: float | None = None  # seconds into the run
        self.rate_limited_until_wall = 0.0  # wall-clock end of the latest 429's back-off
        self.failure: BaseException | None = None
        self._stop = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped: asyncio.Event | None = None
        self._calls: set[asyncio.Task] = set()  # the users' tasks while they call
        self._thread: threading.Thread | None = None
        self.start_monotonic = 0.0
        self.start_wall = 0.0

    # --- control, from the controller's thread -------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="load-run-users", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Start no more calls and cut those in flight short."""
        self._stop.set()
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._cut_short)

    def _cut_short(self) -> None:
        self._stopped.set()
        for call in list(self._calls):
            call.cancel()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def join(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # --- the users -----------------------------------------------------------------------

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as error:  # reported by the controller
            self.failure = error

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        if self._stop.is_set():
            return
        client, http = self._client_factory()
        self.start_monotonic, self.start_wall = time.monotonic(), time.time()
        try:
            users = [self._user(index, client) for index in range(self.plan.users)]
            await asyncio.gather(*users)
        finally:
            await http.aclose()

    def _ramp_offset(self, index: int) -> float:
        return self.plan.ramp_up_seconds * index / self.plan.users

    async def _user(self, index: int, client: CodeEngineClient) -> None:
        plan = self.plan
        if not await self._wait(self.start_monotonic + self._ramp_offset(index)):
            return
        active = False
        try:
            while True:
                if not await self._until_allowed(index):
                    return
                if not active:
                    active = True
                    self.active_users += 1
                if not self._may_start_call():
                    return
                self.started_calls += 1
                await self._call(index, client, plan)
        finally:
            if active:
                self.active_users -= 1

    def _may_start_call(self) -> bool:
        plan = self.plan
        elapsed = time.monotonic() - self.start_monotonic
        if self._stop.is_set() or elapsed >= plan.deadline_seconds:
            return False
        if plan.duration_seconds is not None and elapsed >= plan.duration_seconds:
            return False
        return plan.total_calls is None or self.started_calls < plan.total_calls

    async def _until_allowed(self, index: int) -> bool:
        """Wait while this user is beyond the budget's room or the instance is backing off;
        False once the run ends meanwhile."""
        while index >= self.allowed_users or time.monotonic() < self.hold_until:
            if not self._may_start_call():
                return False
            pause = max(WAIT_STEP_SECONDS, min(self.hold_until - time.monotonic(), 0.25))
            if not await self._wait(time.monotonic() + pause):
                return False
        return True

    async def _wait(self, until: float) -> bool:
        """Sleep until `until` (monotonic); False when stopped meanwhile."""
        delay = until - time.monotonic()
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), delay)
        return not self._stop.is_set()

    async def _call(self, index: int, client: CodeEngineClient, plan: Plan) -> None:
        wall = time.time()
        began = time.monotonic()
        call = asyncio.current_task()
        self._calls.add(call)  # a stop cancels it
        outcome, execution, error = Outcome.ERROR, None, None
        try:
            execution = await client.run_function_async(
                plan.package_id,
                plan.version,
                plan.function_name,
                plan.input_variables,
                get_logs=False,
                timeout=plan.time_limit,
            )
            outcome = Outcome.SUCCESS if execution.succeeded else Outcome.FAILED
        except asyncio.CancelledError:
            if not self._stop.is_set():
                raise
            call.uncancel()
            outcome = Outcome.STOPPED
        except RateLimitedError as limited:
            outcome, error = Outcome.RATE_LIMITED, limited
            self._back_off(limited.retry_after, time.monotonic())
        except Exception as failure:
            error = failure
        finally:
            self._calls.discard(call)
        ended = time.monotonic()
        self.results.append(
            CallResult(
                user=index,
                started=wall,
                latency=ended - began,
                second=max(0, math.floor(ended - self.start_monotonic)),
                outcome=outcome,
                execution=execution,
                error=error,
                active_users=self.active_users,
            )
        )

    def _back_off(self, retry_after: float | None, now: float) -> None:
        pause = NO_RETRY_AFTER_SECONDS if retry_after is None else max(0.0, retry_after)
        if self.first_429_at is None:
            self.first_429_at = now - self.start_monotonic
        self.hold_until = max(self.hold_until, now + pause)
        self.rate_limited_until_wall = max(self.rate_limited_until_wall, time.time() + pause)


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile of `values` (sorted), None when empty."""
    if not values:
        return None
    rank = max(1, math.ceil(share * len(values)))
    return values[min(rank, len(values)) - 1]
