"""Outbound HTTP calls with one deadline for the whole call: connect, send and the whole
reply, however slowly the other end drips it.

httpx's own timeouts apply to each phase and to each read, so a host that sends a byte
just within the read timeout holds a call for as long as it likes. The Code Engine client
and the webhooks instead make their call inside `asyncio.timeout`, which ends it wherever
it waits, and run it from synchronous code with `run_to_end`."""

import asyncio
import concurrent.futures
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any


def run_to_end[T](coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` to its end from synchronous code: on this thread, or on a fresh one
    when this thread already runs an event loop (the run worker's)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def call_within[T](seconds: float, call: Callable[[], Awaitable[T]]) -> T:
    """`call()` (an async HTTP exchange) run from synchronous code within `seconds` in all;
    TimeoutError past them."""

    async def bounded() -> T:
        async with asyncio.timeout(seconds):
            return await call()

    return run_to_end(bounded())
