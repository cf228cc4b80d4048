"""Which workers are alive, judged so that a clock that stopped for everyone condemns no one.

A worker writes a heartbeat every few seconds. On PostgreSQL it also holds an advisory lock
on a connection of its own for as long as its process lives: the server releases it the
moment that session ends (the process killed, its host gone), and no sooner. So:

- a worker whose lock is held is alive, however old its heartbeat (its other connections
  may be waiting on a busy database);
- a worker whose lock is free and whose heartbeat is a few seconds old is dead;
- nobody is judged while the server itself has been up for less than the stale time: after
  a restart every lock is free and every heartbeat old, and the live workers need a moment
  to reconnect;
- a judge that was itself cut off from the database waits as long before judging (the
  worker keeps that rule: `RunWorker._may_judge`).

On SQLite (one machine) a heartbeat older than the stale time means dead, and so does a
process of this host that no longer exists.
"""

import os
import secrets
import socket
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from .models import Execution, ExecutionStatus, WorkerHeartbeat

# The advisory locks of workers' liveness are (LOCK_CLASS, key); (LOCK_CLASS, 0) is taken,
# for one transaction, by the one worker settling dead workers' runs at a time.
LOCK_CLASS = 0x0CE1
SETTLE_KEY = 0
# A worker whose lock is free is dead once its heartbeat is this old: two beats missed.
LOCKLESS_SECONDS = 5.0


def uses_locks() -> bool:
    return connection.vendor == "postgresql"


def new_liveness_key() -> int:
    return secrets.randbelow(2**31 - 2) + 1


def take_settle_turn() -> bool:
    """Inside a transaction: whether this worker settles dead workers now (no other does)."""
    if not uses_locks():
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [LOCK_CLASS, SETTLE_KEY])
        return cursor.fetchone()[0]


def database_up_long_enough() -> bool:
    """False while the database server has been up for less than the stale time."""
    if not uses_locks():
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT now() - pg_postmaster_start_time()")
        (uptime,) = cursor.fetchone()
    return uptime >= timedelta(seconds=settings.RUN_WORKER_STALE_SECONDS)


def held_liveness_keys() -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND classid = %s"
            " AND objsubid = 2 AND granted",
            [LOCK_CLASS],
        )
        return {int(objid) for (objid,) in cursor.fetchall()}


def dead_workers() -> list[str]:
    """The ids of the workers judged dead now (see the module's rules)."""
    now = timezone.now()
    if uses_locks():
        quiet = now - timedelta(seconds=LOCKLESS_SECONDS)
        held = held_liveness_keys()
        return [
            worker_id
            for worker_id, key in WorkerHeartbeat.objects.filter(last_seen_at__lt=quiet)
            .values_list("worker_id", "liveness_key")
            .iterator()
            if key not in held
        ]
    stale = now - timedelta(seconds=settings.RUN_WORKER_STALE_SECONDS)
    here = socket.gethostname()
    return [
        worker_id
        for worker_id, hostname, pid, last_seen in WorkerHeartbeat.objects.values_list(
            "worker_id", "hostname", "pid", "last_seen_at"
        ).iterator()
        if last_seen < stale or (hostname == here and not _process_exists(pid))
    ]


def suspected_workers(judge: str) -> int:
    """Workers other than `judge` that will be judged dead within seconds (PostgreSQL:
    their lock is free but their heartbeat is recent), for a starting worker to wait for
    before it claims."""
    if not uses_locks():
        return 0
    held = held_liveness_keys()
    keys = WorkerHeartbeat.objects.exclude(worker_id=judge).values_list("liveness_key", flat=True)
    return sum(1 for key in keys if key not in held)


def _process_exists(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


STALLED_NAMED = 20


def stalled_runs() -> dict | None:
    """Runs held by workers that stopped beating (crashed, killed, or the last one gone),
    which no one has settled yet: how many, the first few ids, and what happens to them."""
    stale = timezone.now() - timedelta(seconds=settings.RUN_WORKER_STALE_SECONDS)
    silent = WorkerHeartbeat.objects.filter(last_seen_at__lt=stale).values("worker_id")
    held = Execution.objects.filter(status=ExecutionStatus.RUNNING, worker_id__in=silent)
    ids = list(held.order_by("id").values_list("id", flat=True)[: STALLED_NAMED + 1])
    if not ids:
        return None
    count = len(ids) if len(ids) <= STALLED_NAMED else held.count()
    return {
        "count": count,
        "ids": ids[:STALLED_NAMED],
        "message": (
            f"{count} run{'s' if count != 1 else ''} held by workers that stopped beating "
            "(crashed or killed). A live worker settles them within seconds, or the next "
            "one to start, before it claims: a run whose request was never sent goes back "
            "to the queue, the others end as interrupted."
        ),
    }
