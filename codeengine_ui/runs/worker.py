"""The run worker: it keeps hundreds of runs in flight in one process.

A run mostly waits on Code Engine, up to five minutes. Here it waits as a coroutine on one
event loop: a run in flight holds neither a thread nor a database connection, and its call
goes through one shared, kept-alive HTTPS client. Everything that touches the database
(claiming, starting a run, storing its outcome, the heartbeat) runs on a small pool of
threads, each with its own connection: `db_connections` of them whatever the concurrency.

The worker claims runs from the runs table (queue.py: fairly, within each instance's
budget), many at a time, and the other tasks from django-tasks-db's table with the same
locking as its `db_worker`. It writes a heartbeat that /health/ reads, holds its liveness
lock (liveness.py) and settles the runs of workers that died. Stopping it stops the
claiming and waits for the runs in flight, up to a grace period; runs whose request was not
being sent go back to the queue at once.
"""

import asyncio
import contextlib
import logging
import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from traceback import format_exception
from typing import Any

import psycopg
from django.conf import settings
from django.db import (
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
    connections,
    transaction,
)
from django.tasks.base import TaskContext, TaskResultStatus
from django.tasks.signals import task_finished, task_started
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.module_loading import import_string
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from codeengine_ui.domo.client import CodeEngineClient, HttpPool

from . import liveness, queue
from .housekeeping import interrupt, queue_periodic_jobs, settle_dead_workers
from .live import listen_parameters
from .models import Execution, RunSource, WorkerHeartbeat
from .queue import Room
from .tasks import RUN_QUEUED_CHANNEL, CallStarts, finish_call, time_limit

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 2.0
SETTLE_SECONDS = 2.0  # how often the runs of workers that died are looked for
PERIODIC_JOBS_SECONDS = 3600.0  # hourly, starting at once
CLAIM_BATCH = 100
CLAIM_GATHER_SECONDS = 0.02
OTHER_TASKS_BATCH = 10
OTHER_TASKS_SECONDS = 1.0  # tasks other than runs are looked for at least this often
STORE_BATCH = 100
CONNECTION_CHECK_SECONDS = 5.0
DATABASE_RETRY_SECONDS = (0.2, 0.5, 1.0, 2.0)  # then every 2 s, while the database refuses
STOPPED_MESSAGE = (
    "The worker was stopped (a deploy or a restart) before Code Engine answered, after "
    "waiting {grace:g} s for this run. Code Engine may still have completed it, but its "
    "answer was not received."
)
_DATABASE_DOWN = (OperationalError, InterfaceError)


# Runs whose ends a job of RUN_WORKER_JOBS judges at once.
_JUDGED_SOURCES = (RunSource.SUITE, RunSource.TABLE)


class RunWorker:
    def __init__(
        self,
        *,
        concurrency: int,
        poll_interval: float,
        db_connections: int | None = None,
        grace_seconds: float | None = None,
        backend_name: str = "default",
        queue_names: tuple[str, ...] = ("default",),
        worker_id: str | None = None,
        interactive_reserve: int | None = None,
    ):
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.concurrency = concurrency
        self.poll_interval = poll_interval
        self.db_connections = db_connections or settings.RUN_WORKER_DB_CONNECTIONS
        self.grace_seconds = (
            settings.RUN_WORKER_GRACE_SECONDS if grace_seconds is None else grace_seconds
        )
        self.backend_name = backend_name
        self.queue_names = queue_names
        self.worker_id = worker_id or get_random_string(32)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._stop_now: asyncio.Event | None = None
        self._runs: dict[asyncio.Task, Execution | DBTaskResult] = {}
        self._calling: set[asyncio.Task] = set()  # runs whose request is being sent
        reserve = (
            settings.RUN_WORKER_INTERACTIVE_RESERVE
            if interactive_reserve is None
            else interactive_reserve
        )
        self.interactive_reserve = min(reserve, concurrency // 8)  # an eighth at most
        self._held: Counter = Counter()  # runs in flight, by submitter (queue.py)
        self._jobs_due: list[asyncio.Event] = []
        self._to_store: list[tuple] = []
        self._storing: asyncio.Task | None = None
        self._run_ended: asyncio.Event | None = None
        self._work_queued: asyncio.Event | None = None
        self._listening = False
        self._outage_since: float | None = None
        self._reconnected_at = -float("inf")  # when this worker's last outage ended
        self._tasks_looked_at = -float("inf")
        self.liveness_key = liveness.new_liveness_key()
        self._session_ready: asyncio.Event | None = None
        self._to_mark_sent: list[tuple] = []
        self._marking_sent: asyncio.Task | None = None
        self._uses_noted: dict = {}  # (token, user) -> when this worker noted the use
        self._stop_requests = 0

    # --- control, from any thread -------------------------------------------------------

    @property
    def runs_in_flight(self) -> int:
        return len(self._runs)

    @property
    def stopping(self) -> bool:
        return self._stop_requests > 0

    def stop(self) -> None:
        """Stop claiming and let the runs in flight finish (up to the grace period); a
        second call ends them at once."""
        self._stop_requests += 1
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._apply_stop_requests)

    def _apply_stop_requests(self) -> None:
        if self._stop_requests >= 1:
            self._stopping.set()
        if self._stop_requests >= 2:
            self._stop_now.set()

    def run(self) -> None:
        """Claim and run tasks until stopped."""
        _size_connection_pool(self.db_connections + 1)  # the database threads, the heartbeat
        _workers_here[self.worker_id] = self
        try:
            asyncio.run(self._main())
        finally:
            _workers_here.pop(self.worker_id, None)

    # --- the loop ------------------------------------------------------------------------

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping, self._stop_now = asyncio.Event(), asyncio.Event()
        self._run_ended, self._work_queued = asyncio.Event(), asyncio.Event()
        self._jobs_due = []
        self._session_ready = asyncio.Event()
        self._apply_stop_requests()
        self._database = ThreadPoolExecutor(self.db_connections, thread_name_prefix="run-worker-db")
        self._heartbeat_thread = ThreadPoolExecutor(1, thread_name_prefix="run-worker-heartbeat")
        self._http = HttpPool(
            max_connections=self.concurrency, ca_bundle=settings.CODEENGINE_CA_BUNDLE
        )
        logger.info(
            "Worker %s started: %d runs at once, %d database connections",
            self.worker_id,
            self.concurrency,
            self.db_connections,
        )
        helpers = []
        try:
            if liveness.uses_locks():
                helpers.append(asyncio.create_task(self._hold_session()))
                with contextlib.suppress(TimeoutError):  # it goes on trying meanwhile
                    await asyncio.wait_for(self._session_ready.wait(), liveness.LOCKLESS_SECONDS)
            await self._database_call(self._beat, retry=True, heartbeat=True)
            helpers.append(asyncio.create_task(self._heartbeat_loop()))
            await self._settle_before_claiming()
            helpers.append(asyncio.create_task(self._settle_loop()))
            for job in settings.RUN_WORKER_JOBS:
                due = asyncio.Event()
                self._jobs_due.append(due)
                helpers.append(asyncio.create_task(self._job_loop(import_string(job), due)))
            await self._claim_loop()
        finally:
            await self._drain()
            for helper in helpers:
                helper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await helper
            with contextlib.suppress(*_DATABASE_DOWN):
                await self._database_call(self._sign_off)
            await self._http.aclose()
            self._database.shutdown(wait=True)
            self._heartbeat_thread.shutdown(wait=True)
            logger.info("Worker %s stopped", self.worker_id)

    async def _claim_loop(self) -> None:
        work_likely = True  # a task was announced, or the last claim was full
        while not self._stopping.is_set():
            free = self.concurrency - len(self._runs)
            if free <= 0:
                self._run_ended.clear()
                await self._until(self._run_ended, self._stopping)
                continue
            if free < CLAIM_BATCH and self._runs:
                # Short runs free their slots one by one: gather a few before claiming, so
                # that a claim (a transaction) starts a batch rather than one run. Above
                # all when the last claim was short: one slot freed is seldom the room
                # its runs lacked (the reserve, a share, a budget).
                await self._sleep(CLAIM_GATHER_SECONDS)
            room = Room.of_worker(
                self.concurrency,
                len(self._runs),
                self.interactive_reserve,
                self._held,
                CLAIM_BATCH,
            )
            # Cleared before the claim, not after: a run announced while the claim is made
            # is looked for at once, not at the next look a second later.
            self._work_queued.clear()
            self._run_ended.clear()
            try:
                runs, tasks = await self._database_call(self._claim, room, work_likely)
                self._start(runs, tasks)
                claimed = [*runs, *tasks]
            except Exception as error:
                if not isinstance(error, _DATABASE_DOWN):  # an outage is reported once
                    logger.exception("Worker %s could not claim tasks", self.worker_id)
                claimed = []
                await self._sleep(max(self.poll_interval, 1.0))
            if len(claimed) < room.free:
                # Woken at once by a queued run where PostgreSQL says so, or by a run's end
                # (room for a run that waited for its share or its instance's budget); the
                # look every second also finds runs whose time to be tried again has come.
                timeout = max(self.poll_interval, 1.0) if self._listening else self.poll_interval
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._until(self._work_queued, self._run_ended, self._stopping), timeout
                    )
                work_likely = self._work_queued.is_set()
            else:
                work_likely = True

    def _claim(
        self, room: Room, work_likely: bool = True
    ) -> tuple[list[Execution], list[DBTaskResult]]:
        """Claim the runs this worker may start now (queue.py), and other ready tasks in
        the room left."""
        tasks = DBTaskResult.objects.ready().filter(
            backend_name=self.backend_name, queue_name__in=self.queue_names
        )
        # Unless something was announced, a plain read first: an idle worker polls often,
        # and only work ready is worth the transaction that claiming takes.
        if not work_likely and not (queue.runs_ready().exists() or tasks.exists()):
            return [], []
        runs = queue.claim(self.worker_id, room)
        others = []
        if time.monotonic() - self._tasks_looked_at >= OTHER_TASKS_SECONDS or not runs:
            self._tasks_looked_at = time.monotonic()
            others = self._claim_tasks(tasks, min(room.free - len(runs), OTHER_TASKS_BATCH))
        return runs, others

    def _claim_tasks(self, tasks, wanted: int) -> list[DBTaskResult]:
        """Claim ready tasks other than runs, with the locking of django-tasks-db's own
        `db_worker` (so both can serve those)."""
        if wanted <= 0:
            return []
        try:
            with exclusive_transaction(tasks.db):
                claimed = list(tasks.select_for_update(skip_locked=True)[:wanted])
                now = timezone.now()
                for db_task in claimed:
                    db_task.status = TaskResultStatus.RUNNING
                    db_task.started_at = now
                    db_task.worker_ids = [*db_task.worker_ids, self.worker_id]
                    DBTaskResult.objects.filter(pk=db_task.pk).update(
                        status=TaskResultStatus.RUNNING,
                        started_at=now,
                        worker_ids=db_task.worker_ids,
                    )
        except OperationalError as error:
            if is_locked_database_exception(error):
                return []
            raise
        for db_task in claimed:
            _signal(task_started, db_task)
        return claimed

    def _start(self, runs: list[Execution], tasks: list[DBTaskResult]) -> None:
        """Start what was claimed; the runs' calls are readied in one database call, while
        the next batch is claimed."""
        for db_task in tasks:
            self._spawn(db_task, self._run_other_task(db_task))
        if runs:
            batch = asyncio.ensure_future(self._database_call(self._start_runs, runs, retry=True))
            for execution in runs:
                self._held[queue.submitter_of(execution)] += 1
                self._spawn(execution, self._run_started(execution, batch))

    async def _run_started(self, execution: Execution, batch) -> None:
        current = asyncio.current_task()
        try:
            clients = await asyncio.shield(batch)
        except asyncio.CancelledError:
            # Put the run back only once the batch has readied it, or it would stay running.
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait({batch})
            await self._end_cancelled(execution, called=False)
            self._ended(current)
            return
        await self._run_call(execution, clients[execution.pk])

    def _start_runs(self, executions: list[Execution]) -> dict:
        """Ready the claimed runs' calls: {run id: client, or None for a run that was ended
        instead (its token may not be used now, say)}."""
        starts = CallStarts(http=self._http, uses_noted=self._uses_noted)
        with transaction.atomic():  # the refusals recorded, in one commit
            return {execution.pk: starts.start(execution) for execution in executions}

    def _spawn(self, work_of: Execution | DBTaskResult, work) -> None:
        run = asyncio.create_task(work, name=f"{type(work_of).__name__}-{work_of.pk}")
        self._runs[run] = work_of

    # --- running a task ------------------------------------------------------------------

    async def _run_call(self, execution: Execution, client: CodeEngineClient | None) -> None:
        """Call Code Engine for a started run and store the outcome (the run was already
        ended when it could not start: `client` is None)."""
        current = asyncio.current_task()
        try:
            outcome, error = None, None
            if client is not None:
                try:
                    outcome = await client.run_function_async(
                        execution.package_id,
                        execution.version,
                        execution.function_name,
                        execution.input_variables,
                        get_logs=execution.get_logs,
                        on_send=partial(self._sending, current, execution),
                        timeout=time_limit(execution),
                    )
                except asyncio.CancelledError:
                    raise
                except RunTakenAway:
                    logger.warning(
                        "Worker %s: run %s was put back in the queue while this worker could "
                        "not reach the database; another worker runs it",
                        self.worker_id,
                        execution.pk,
                    )
                    return
                except Exception as failure:
                    error = failure
            try:
                await self._finished((execution, client, outcome, error))
            except asyncio.CancelledError:
                raise
            except Exception as failure:  # the outcome itself could not be stored
                await self._finished((execution, client, None, failure))
        except asyncio.CancelledError:
            await self._end_cancelled(execution, called=current in self._calling)
        finally:
            self._ended(current)

    async def _sending(self, run: asyncio.Task, execution: Execution) -> None:
        """Before a run's request is written: note it (with the runs sending meanwhile, in
        one database call), so that a worker that dies from now on leaves it interrupted
        (Code Engine may have it), and before now, back in the queue."""
        noted = self._loop.create_future()
        self._to_mark_sent.append((execution, noted))
        if self._marking_sent is None or self._marking_sent.done():
            self._marking_sent = asyncio.create_task(self._mark_sent())
        if not await asyncio.shield(noted):
            raise RunTakenAway
        self._calling.add(run)

    async def _mark_sent(self) -> None:
        while self._to_mark_sent:
            batch = self._to_mark_sent[:STORE_BATCH]
            self._to_mark_sent = self._to_mark_sent[STORE_BATCH:]
            executions = [execution for execution, _ in batch]
            try:
                sent = await self._database_call(
                    Execution.mark_calls_sent, executions, self.worker_id, retry=True
                )
            except Exception as error:
                for _, noted in batch:
                    noted.set_exception(error)
            else:
                for execution, noted in batch:
                    noted.set_result(execution.pk in sent)

    async def _run_other_task(self, db_task: DBTaskResult) -> None:
        """A task other than a run (version checks, housekeeping), run as db_worker would."""
        current = asyncio.current_task()
        try:
            value = await self._database_call(_call_task, db_task)
            await self._database_call(_task_succeeded, db_task, value, retry=True)
        except asyncio.CancelledError:
            message = STOPPED_MESSAGE.format(grace=self.grace_seconds)
            with contextlib.suppress(Exception):
                await self._database_call(db_task.set_failed, WorkerStopped(message), retry=True)
        except Exception as error:
            logger.error("Task %s failed:\n%s", db_task.id, "".join(format_exception(error)))
            with contextlib.suppress(Exception):
                await self._database_call(db_task.set_failed, error, retry=True)
        finally:
            self._ended(current)

    async def _finished(self, finished: tuple) -> None:
        """Store a run's outcome, together with those of the runs that finished meanwhile:
        one database call and one commit for a burst of endings."""
        stored = self._loop.create_future()
        self._to_store.append((finished, stored))
        if self._storing is None or self._storing.done():
            self._storing = asyncio.create_task(self._store_finished())
        await asyncio.shield(stored)

    async def _store_finished(self) -> None:
        while self._to_store:
            batch, self._to_store = self._to_store[:STORE_BATCH], self._to_store[STORE_BATCH:]
            try:
                await self._database_call(
                    _finish_runs, [finished for finished, _ in batch], retry=True
                )
            except Exception:
                # One run's outcome could not be stored: store the others one by one, so
                # only that run reports the failure.
                for finished, stored in batch:
                    try:
                        await self._database_call(_finish_runs, [finished], retry=True)
                    except Exception as error:
                        stored.set_exception(error)
                    else:
                        stored.set_result(None)
            else:
                for _, stored in batch:
                    stored.set_result(None)
            if any(finished[0].source in _JUDGED_SOURCES for finished, _ in batch):
                for due in self._jobs_due:
                    due.set()  # a suite's cases and a table's rows await their verdicts

    def _ended(self, run: asyncio.Task) -> None:
        work_of = self._runs.pop(run, None)
        self._calling.discard(run)
        if isinstance(work_of, Execution):
            self._held[queue.submitter_of(work_of)] -= 1
        self._run_ended.set()

    async def _end_cancelled(self, execution: Execution, *, called: bool) -> None:
        """A run cut short by a stop: back to its place in the queue if its request was not
        being sent, else ended as interrupted, honestly worded."""
        try:
            if called:
                await self._database_call(self._interrupt, execution, retry=True)
            else:
                await self._database_call(queue.requeue, execution, self.worker_id, retry=True)
        except Exception:
            logger.exception("Run %s: could not record the stop", execution.pk)

    def _interrupt(self, execution: Execution) -> None:
        message = STOPPED_MESSAGE.format(grace=self.grace_seconds)
        interrupt([execution], message)

    async def _drain(self) -> None:
        """Wait for the runs in flight, up to the grace period or a second stop; runs not
        yet calling Code Engine go back to the queue at once."""
        for run in [run for run in self._runs if run not in self._calling]:
            run.cancel()
        if self._runs:
            logger.info(
                "Worker %s stopping: waiting up to %g s for %d runs",
                self.worker_id,
                self.grace_seconds,
                len(self._runs),
            )
            done = asyncio.gather(*self._runs, return_exceptions=True)
            stop_now = asyncio.ensure_future(self._stop_now.wait())
            await asyncio.wait(
                {done, stop_now}, timeout=self.grace_seconds, return_when=asyncio.FIRST_COMPLETED
            )
            stop_now.cancel()
            left = list(self._runs)
            for run in left:
                run.cancel()
            if left:
                logger.warning("Worker %s: %d runs interrupted", self.worker_id, len(left))
            await asyncio.gather(*left, return_exceptions=True)
            with contextlib.suppress(asyncio.CancelledError):
                await done

    async def _hold_session(self) -> None:
        """On one more connection of its own (PostgreSQL): hold this worker's liveness lock
        (liveness.py) and LISTEN for queued runs; taken again after a lost connection."""
        parameters = listen_parameters(connection.settings_dict)
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    **parameters, autocommit=True
                ) as session:
                    await session.execute(
                        "SELECT pg_advisory_lock(%s, %s)",
                        [liveness.LOCK_CLASS, self.liveness_key],
                    )
                    await session.execute(f"LISTEN {RUN_QUEUED_CHANNEL}")
                    self._listening = True
                    self._session_ready.set()
                    self._work_queued.set()  # look once: runs may have come meanwhile
                    async for _notice in session.notifies():
                        self._work_queued.set()
            except psycopg.Error as error:
                if self._listening or self._outage_since is None:
                    reason = " ".join(str(error).split())
                    logger.warning("Worker %s: stopped listening (%s)", self.worker_id, reason)
            self._listening = False
            await asyncio.sleep(DATABASE_RETRY_SECONDS[-1])

    # --- heartbeat -----------------------------------------------------------------------

    async def _heartbeat_loop(self) -> None:
        """The beat alone on its thread: nothing else this worker does can delay it."""
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            try:
                await self._database_call(self._beat, heartbeat=True)
            except _DATABASE_DOWN:
                pass  # reported once by _database_call; the next beat tries again
            except Exception:
                logger.exception("Worker %s: heartbeat failed", self.worker_id)

    async def _settle_before_claiming(self) -> None:
        """A worker starting after others died (the last one killed, say) first settles
        what they held, waiting the few seconds a freshly dead one takes to be judged."""
        deadline = time.monotonic() + liveness.LOCKLESS_SECONDS + HEARTBEAT_SECONDS
        while True:
            try:
                await self._database_call(settle_dead_workers, retry=True)
                suspects = await self._database_call(
                    liveness.suspected_workers, self.worker_id, retry=True
                )
            except Exception:
                logger.exception("Worker %s: could not settle dead workers' runs", self.worker_id)
                return
            if not suspects or time.monotonic() > deadline or self._stopping.is_set():
                return
            await self._sleep(1.0)

    async def _settle_loop(self) -> None:
        """The runs of workers that died, looked for every few seconds (by one worker at a
        time), and the hourly jobs queued; never on the heartbeat's thread."""
        jobs_queued = -PERIODIC_JOBS_SECONDS
        while True:
            await asyncio.sleep(SETTLE_SECONDS)
            try:
                if self._may_judge():
                    await self._database_call(settle_dead_workers)
                if time.monotonic() - jobs_queued >= PERIODIC_JOBS_SECONDS:
                    await self._database_call(queue_periodic_jobs)
                    jobs_queued = time.monotonic()
            except _DATABASE_DOWN:
                pass  # reported once by _database_call; the next round tries again
            except Exception:
                logger.exception("Worker %s: settling dead workers failed", self.worker_id)

    def _may_judge(self) -> bool:
        """A worker that was itself cut off from the database lets the others reconnect
        (and beat) before it judges them: their silence was its own."""
        stale = settings.RUN_WORKER_STALE_SECONDS
        return self._outage_since is None and time.monotonic() - self._reconnected_at >= stale

    async def _job_loop(self, job: Callable, due: asyncio.Event) -> None:
        """A job of RUN_WORKER_JOBS (judging suites' runs, the monitors), every beat and at
        once when runs of a suite finish, in a loop of its own: however long one takes, the
        others and the heartbeat go on."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(due.wait(), HEARTBEAT_SECONDS)
            due.clear()
            try:
                await self._database_call(job)
            except _DATABASE_DOWN:
                pass  # reported once by _database_call; the next round tries again
            except Exception:
                logger.exception("Worker %s: job %s failed", self.worker_id, job.__name__)

    def _beat(self) -> None:
        now = timezone.now()
        seen = {"last_seen_at": now, "runs_in_flight": len(self._runs)}
        WorkerHeartbeat.objects.update_or_create(
            worker_id=self.worker_id,
            defaults=seen,
            create_defaults={
                **seen,
                "hostname": socket.gethostname(),
                "pid": os.getpid(),
                "concurrency": self.concurrency,
                "started_at": now,
                "liveness_key": self.liveness_key if liveness.uses_locks() else None,
            },
        )

    def _sign_off(self) -> None:
        WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()

    # --- helpers -------------------------------------------------------------------------

    async def _database_call(
        self, function: Callable, *args: Any, retry: bool = False, heartbeat: bool = False
    ) -> Any:
        """`function(*args)` on a database thread (the heartbeat's own, with `heartbeat`:
        work that fills the others never delays it). With `retry`, for work that may be done
        twice, a refused or lost connection is tried again until the database answers."""
        executor = self._heartbeat_thread if heartbeat else self._database
        attempt = 0
        while True:
            try:
                value = await self._loop.run_in_executor(
                    executor, partial(_on_database_thread, function, *args)
                )
            except _DATABASE_DOWN as error:
                self._database_unavailable(error)
                if not retry:
                    raise
                pause = DATABASE_RETRY_SECONDS[min(attempt, len(DATABASE_RETRY_SECONDS) - 1)]
                attempt += 1
                await asyncio.sleep(pause)
            else:
                self._database_available()
                return value

    def _database_unavailable(self, error: Exception) -> None:
        """Say once that the database refuses or lost the connection, not at every try."""
        if self._outage_since is None:
            self._outage_since = time.monotonic()
            reason = " ".join(str(error).split())
            logger.warning("Worker %s: database unavailable (%s)", self.worker_id, reason)

    def _database_available(self) -> None:
        if self._outage_since is not None:
            logger.warning(
                "Worker %s: database available again after %.1f s",
                self.worker_id,
                time.monotonic() - self._outage_since,
            )
            self._outage_since = None
            self._reconnected_at = time.monotonic()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    @staticmethod
    async def _until(*events: asyncio.Event) -> None:
        waiters = [asyncio.ensure_future(event.wait()) for event in events]
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()


class WorkerStopped(Exception):
    """Why a task row ended when its worker was stopped during the call."""


class RunTakenAway(Exception):
    """Raised before a run's request is written when the run is no longer this worker's."""


_thread_state = threading.local()
_workers_here: dict[str, RunWorker] = {}  # this process's running workers, by id


def worker_stopping(worker_id: str) -> bool:
    """Whether this process's worker `worker_id` was asked to stop: a long task it runs
    (a load run) wraps up rather than hold the stop for its whole plan."""
    worker = _workers_here.get(worker_id)
    return worker is not None and worker.stopping


def _size_connection_pool(size: int) -> None:
    """Where connections are pooled (PostgreSQL), a worker's pool holds one for each of its
    database threads, taken once and kept: a web process's smaller pool would make them
    wait for each other."""
    options = connections.settings["default"].get("OPTIONS", {})
    if options.get("pool"):
        options["pool"] = {**options["pool"], "min_size": size, "max_size": size}
        connection.close_pool()


def _on_database_thread(function: Callable, *args: Any) -> Any:
    # Drop a connection past CONN_MAX_AGE or found broken, every few seconds rather than
    # for each call: each look costs a round trip to the database (a health check).
    now = time.monotonic()
    if now - getattr(_thread_state, "connection_checked", 0.0) > CONNECTION_CHECK_SECONDS:
        close_old_connections()
        _thread_state.connection_checked = now
    try:
        return function(*args)
    except _DATABASE_DOWN:
        connection.close()  # this thread reconnects on its next call
        _thread_state.connection_checked = 0.0
        raise


def _call_task(db_task: DBTaskResult) -> Any:
    """A task other than a run (version checks, housekeeping), run as db_worker would."""
    task = db_task.task
    task_result = db_task.task_result
    if task.takes_context:
        return task.call(
            TaskContext(task_result=task_result), *task_result.args, **task_result.kwargs
        )
    return task.call(*task_result.args, **task_result.kwargs)


def _finish_runs(finished: list[tuple]) -> None:
    """Store runs' outcomes, in one transaction. Safe to do twice: an outcome is stored
    only on a run still in progress (or, by its own worker, over a wrong "interrupted")."""
    with transaction.atomic(), Execution.finishing_together():
        for execution, client, outcome, error in finished:
            if client is not None:
                finish_call(execution, outcome, error)


def _task_succeeded(db_task: DBTaskResult, value: Any) -> None:
    db_task.set_successful(value)
    _signal(task_finished, db_task)


def _signal(signal, db_task: DBTaskResult) -> None:
    """Tell django.tasks' receivers (its log lines) of a task's new state."""
    if not signal.has_listeners():
        return
    task_result = db_task.task_result
    signal.send(sender=type(task_result.task.get_backend()), task_result=task_result)
