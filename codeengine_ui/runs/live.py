"""Pages that show runs live: the answer comes as soon as a run changes.

A live part of a page asks with the state it shows (`?seen=`); the server answers at once
if that state is old, and otherwise holds the request until one of its runs changes or
`LIVE_WAIT_SECONDS` pass (a long-poll). One watcher per web process learns of changes for
every waiting request:

- on PostgreSQL a trigger NOTIFYs each new run and each change of status, and the watcher
  LISTENs on one connection of its own;
- on SQLite it reads the runs in flight every `LIVE_LOOK_SECONDS`, while anyone waits.

A woken request reads its state again before answering, so a wake-up that concerned
another run costs one small query. At most `LIVE_WAITERS_PER_PROCESS` requests wait at
once in a process: the others are answered at once and ask again a second later, so the
threads that serve pages are never all held by waiting requests.
"""

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable

import psycopg
from django.conf import settings
from django.db import connection
from django.db.models import Q

from .models import IN_PROGRESS_STATUSES, Execution

logger = logging.getLogger(__name__)

RUN_CHANGED_CHANNEL = "codeengine_run_changed"
RECONNECT_SECONDS = 1.0
# A LISTEN connection stays open this long after the last request stopped waiting.
LINGER_SECONDS = 30.0
RECHECK_SECONDS = 2.0
# How far back a waiting request can look for the changes it missed; beyond, it is woken.
CHANGES_KEPT = 4096


def listen_parameters(settings_dict: dict) -> dict:
    """Connection parameters of Django's PostgreSQL database, for a LISTEN connection."""
    parameters = {
        "dbname": settings_dict["NAME"],
        "user": settings_dict["USER"] or None,
        "password": settings_dict["PASSWORD"] or None,
        "host": settings_dict["HOST"] or None,
        "port": settings_dict["PORT"] or None,
    }
    for name in ("sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout"):
        if name in settings_dict.get("OPTIONS", {}):
            parameters[name] = settings_dict["OPTIONS"][name]
    return {name: value for name, value in parameters.items() if value is not None}


class RunWatcher:
    """Learns which runs changed and wakes the requests waiting for them."""

    def __init__(self):
        self._condition = threading.Condition()
        self._generation = 0
        self._changes: deque[tuple[int, frozenset[int] | None]] = deque(maxlen=CHANGES_KEPT)
        self._waiters = 0
        self._thread: threading.Thread | None = None

    def mark(self) -> int:
        """Where the changes stand now: read it before reading what the page shows."""
        with self._condition:
            return self._generation

    def try_to_wait(self) -> bool:
        """Take one of the process's waiting places; False when all are taken."""
        with self._condition:
            if self._waiters >= settings.LIVE_WAITERS_PER_PROCESS:
                return False
            self._waiters += 1
            self._start()
            self._condition.notify_all()  # a watcher resting with nobody waiting wakes up
            return True

    def stop_waiting(self) -> None:
        with self._condition:
            self._waiters -= 1

    def wait(self, since: int, ids: frozenset[int] | None, timeout: float) -> bool:
        """True as soon as a change after `since` may concern `ids` (any run when None);
        False when `timeout` passes first. May answer True for a change that turns out
        not to concern them: the caller reads its state again."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while not self._changed_since(since, ids):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._condition.wait(remaining)
            return True

    def publish(self, ids: frozenset[int] | None) -> None:
        """Runs `ids` changed (None: any may have; everyone looks again)."""
        with self._condition:
            self._generation += 1
            self._changes.append((self._generation, ids))
            self._condition.notify_all()

    def _changed_since(self, since: int, ids: frozenset[int] | None) -> bool:
        if self._generation == since:
            return False
        if self._changes and self._changes[0][0] > since + 1:
            return True  # changes were forgotten since: say so rather than miss one
        for generation, changed in reversed(self._changes):
            if generation <= since:
                break
            if ids is None or changed is None or ids & changed:
                return True
        return False

    # --- the watcher thread --------------------------------------------------------------

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            watch = self._listen if connection.vendor == "postgresql" else self._look
            self._thread = threading.Thread(target=watch, name="run-watcher", daemon=True)
            self._thread.start()

    def _listen(self) -> None:
        parameters = listen_parameters(connection.settings_dict)
        while True:
            self._rest_while_nobody_waits()
            try:
                with psycopg.Connection.connect(**parameters, autocommit=True) as listener:
                    listener.execute(f"LISTEN {RUN_CHANGED_CHANNEL}")
                    self.publish(None)  # changes made while not listening were missed
                    idle_since = None
                    while idle_since is None or time.monotonic() - idle_since < LINGER_SECONDS:
                        for notice in listener.notifies(timeout=1.0):
                            self.publish(_ids_in(notice.payload))
                        if self._waiters:
                            idle_since = None
                        elif idle_since is None:
                            idle_since = time.monotonic()
                continue
            except psycopg.Error as error:
                logger.warning("Live pages: stopped listening (%s)", " ".join(str(error).split()))
            self.publish(None)
            time.sleep(RECONNECT_SECONDS)

    def _rest_while_nobody_waits(self) -> None:
        with self._condition:
            while not self._waiters:
                self._condition.wait()

    def _look(self) -> None:
        seen: dict[int, tuple] | None = None
        newest = 0
        while True:
            if not self._waiters:
                seen = None  # nobody waits: rest, and read afresh on waking
                connection.close()
                self._rest_while_nobody_waits()
            try:
                rows = Execution.objects.filter(
                    Q(status__in=IN_PROGRESS_STATUSES) | Q(pk__gt=newest)
                ).values_list("pk", "status", "attempts")
                now = {pk: (status, attempts) for pk, status, attempts in rows}
            except Exception:
                logger.exception("Live pages: could not read the runs in flight")
                connection.close()
                seen = None
                time.sleep(RECONNECT_SECONDS)
                continue
            if seen is None:
                self.publish(None)  # the requests waiting read their state after this
            else:
                changed = {pk for pk in seen.keys() | now.keys() if seen.get(pk) != now.get(pk)}
                if changed:
                    self.publish(frozenset(changed))
            seen = now
            newest = max(now, default=newest)
            time.sleep(settings.LIVE_LOOK_SECONDS)


def _ids_in(payload: str) -> frozenset[int] | None:
    try:
        return frozenset(int(part) for part in payload.split(",") if part)
    except ValueError:
        return None


watcher = RunWatcher()


def wait_for_news(
    seen: str | None,
    state_of: Callable[[], str],
    ids: Iterable[int] | None,
    *,
    timeout: float | None = None,
) -> tuple[str, bool]:
    """The state a live part of a page shows now: at once when it differs from `seen`,
    else when one of the runs `ids` (any, for None) changes, or after `timeout` (by
    default LIVE_WAIT_SECONDS). Also whether the page may ask again at once (False: it
    waits a second first)."""
    since = watcher.mark()
    state = state_of()
    if seen is None or state != seen:
        return state, True
    if not watcher.try_to_wait():
        return state, False
    watched = None if ids is None else frozenset(ids)
    deadline = time.monotonic() + (settings.LIVE_WAIT_SECONDS if timeout is None else timeout)
    if not connection.in_atomic_block:
        connection.close()  # a waiting request holds no database connection
    try:
        while state == seen:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            # Woken by the watcher; and in any case the state is read again every
            # RECHECK_SECONDS, so a change the watcher missed costs seconds, not the wait.
            watcher.wait(since, watched, min(remaining, RECHECK_SECONDS))
            since = watcher.mark()
            state = state_of()
            if not connection.in_atomic_block:
                connection.close()
        return state, True
    finally:
        watcher.stop_waiting()
