"""A worker for django-tasks-db's queue that keeps hundreds of runs in flight in one process.

A run mostly waits on Code Engine, up to five minutes. Here it waits as a coroutine on one
event loop: a run in flight holds neither a thread nor a database connection, and its call
goes through one shared, kept-alive HTTPS client. Everything that touches the database
(claiming, starting a run, storing its outcome, the heartbeat) runs on a small pool of
threads, each with its own connection: `db_connections` of them whatever the concurrency.

The worker claims tasks from the same table with the same locking as django-tasks-db's
`db_worker` (so both can serve one queue), many at a time, highest priority first. It
writes a heartbeat that /health/ reads and marks the runs of workers that died. Stopping it
stops the claiming and waits for the runs in flight, up to a grace period; runs it had
claimed but not started go back to the queue at once.
"""

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from traceback import format_exception
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connection
from django.tasks.base import TaskContext, TaskResultStatus
from django.tasks.signals import task_finished, task_started
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from codeengine_ui.domo.client import shared_http_client

from .housekeeping import interrupt, mark_orphaned_runs, queue_periodic_jobs
from .models import IN_PROGRESS_STATUSES, Execution, ExecutionStatus, WorkerHeartbeat
from .tasks import finish_call, run_execution, start_call

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 2.0
ORPHAN_CHECK_BEATS = 1  # the runs of a worker that died are marked at the next beat
PERIODIC_JOBS_BEATS = 1800  # hourly, starting with the first beat
CLAIM_BATCH = 100
DATABASE_RETRY_SECONDS = (0.2, 0.5, 1.0, 2.0)  # then every 2 s, while the database refuses
STOPPED_MESSAGE = (
    "The worker was stopped (a deploy or a restart) before Code Engine answered, after "
    "waiting {grace:g} s for this run. Code Engine may still have completed it, but its "
    "answer was not received."
)
_DATABASE_DOWN = (OperationalError, InterfaceError)


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
        self._runs: dict[asyncio.Task, DBTaskResult] = {}
        self._calling: set[asyncio.Task] = set()  # runs whose call to Code Engine has begun
        self._run_ended: asyncio.Event | None = None
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
        asyncio.run(self._main())

    # --- the loop ------------------------------------------------------------------------

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping, self._stop_now = asyncio.Event(), asyncio.Event()
        self._run_ended = asyncio.Event()
        self._apply_stop_requests()
        self._database = ThreadPoolExecutor(self.db_connections, thread_name_prefix="run-worker-db")
        self._http = shared_http_client(
            max_connections=self.concurrency, ca_bundle=settings.CODEENGINE_CA_BUNDLE
        )
        logger.info(
            "Worker %s started: %d runs at once, %d database connections",
            self.worker_id,
            self.concurrency,
            self.db_connections,
        )
        heartbeat = None
        try:
            await self._database_call(self._beat, retry=True)
            heartbeat = asyncio.create_task(self._heartbeat_loop())
            await self._claim_loop()
        finally:
            await self._drain()
            if heartbeat is not None:
                heartbeat.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await heartbeat
            with contextlib.suppress(*_DATABASE_DOWN):
                await self._database_call(self._sign_off)
            await self._http.aclose()
            self._database.shutdown(wait=True)
            logger.info("Worker %s stopped", self.worker_id)

    async def _claim_loop(self) -> None:
        while not self._stopping.is_set():
            free = self.concurrency - len(self._runs)
            if free <= 0:
                self._run_ended.clear()
                await self._until(self._run_ended, self._stopping)
                continue
            wanted = min(free, CLAIM_BATCH)
            try:
                claimed = await self._database_call(self._claim, wanted)
            except Exception:
                logger.exception("Worker %s could not claim tasks", self.worker_id)
                claimed = []
                await self._sleep(max(self.poll_interval, 1.0))
            for db_task in claimed:
                run = asyncio.create_task(self._run_task(db_task), name=f"run-{db_task.id}")
                self._runs[run] = db_task
            if len(claimed) < wanted:
                await self._sleep(self.poll_interval)

    def _claim(self, wanted: int) -> list[DBTaskResult]:
        tasks = DBTaskResult.objects.ready().filter(
            backend_name=self.backend_name, queue_name__in=self.queue_names
        )
        # A plain read first: an idle worker polls often, and only a ready task is worth
        # the exclusive transaction that claiming takes.
        if not tasks.exists():
            return []
        try:
            with exclusive_transaction(tasks.db):
                claimed = list(tasks.select_for_update(skip_locked=True)[:wanted])
                now = timezone.now()
                for db_task in claimed:
                    db_task.status = TaskResultStatus.RUNNING
                    db_task.started_at = now
                    db_task.worker_ids = [*db_task.worker_ids, self.worker_id]
                DBTaskResult.objects.bulk_update(claimed, ["status", "started_at", "worker_ids"])
                return claimed
        except OperationalError as error:
            if is_locked_database_exception(error):
                return []
            raise

    # --- running a task ------------------------------------------------------------------

    async def _run_task(self, db_task: DBTaskResult) -> None:
        current = asyncio.current_task()
        try:
            await self._database_call(_signal, task_started, db_task)
            if db_task.task_path == run_execution.module_path:
                value = await self._run_execution(db_task)
            else:
                value = await self._database_call(_call_task, db_task)
            await self._database_call(db_task.set_successful, value, retry=True)
            await self._database_call(_signal, task_finished, db_task)
        except asyncio.CancelledError:
            await self._end_cancelled(db_task, called=current in self._calling)
        except Exception as error:
            logger.error("Task %s failed:\n%s", db_task.id, "".join(format_exception(error)))
            with contextlib.suppress(Exception):
                await self._database_call(db_task.set_failed, error, retry=True)
        finally:
            self._runs.pop(current, None)
            self._calling.discard(current)
            self._run_ended.set()

    async def _run_execution(self, db_task: DBTaskResult) -> str:
        execution_id = db_task.task_result.args[0]
        started = await self._database_call(self._start_run, execution_id, retry=True)
        if isinstance(started, str):
            return started
        execution, client = started
        self._calling.add(asyncio.current_task())
        outcome, error = None, None
        try:
            outcome = await client.run_function_async(
                execution.package_id,
                execution.version,
                execution.function_name,
                execution.input_variables,
                get_logs=execution.get_logs,
            )
        except asyncio.CancelledError:
            raise
        except Exception as failure:
            error = failure
        await self._database_call(finish_call, execution, outcome, error, retry=True)
        return execution.status

    def _start_run(self, execution_id: int):
        """The execution and its client, once marked running; or a word on why not."""
        execution = (
            Execution.objects.select_related("token__instance", "requested_by")
            .filter(pk=execution_id)
            .first()
        )
        if execution is None:
            return "missing"
        if not execution.mark_running(self.worker_id):
            return "already started"
        client = start_call(execution, http=self._http)
        if client is None:
            return execution.status
        return execution, client

    async def _end_cancelled(self, db_task: DBTaskResult, *, called: bool) -> None:
        """A run cut short by a stop: back to the queue if its call had not begun, else
        ended as interrupted, honestly worded."""
        try:
            if called:
                await self._database_call(self._interrupt_task, db_task, retry=True)
            else:
                await self._database_call(_requeue, db_task, self.worker_id, retry=True)
        except Exception:
            logger.exception("Task %s: could not record the stop", db_task.id)

    def _interrupt_task(self, db_task: DBTaskResult) -> None:
        interrupt(
            Execution.objects.filter(
                task_id=str(db_task.id), status__in=IN_PROGRESS_STATUSES
            ).select_related(None),
            STOPPED_MESSAGE.format(grace=self.grace_seconds),
        )
        db_task.set_failed(WorkerStopped(STOPPED_MESSAGE.format(grace=self.grace_seconds)))

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

    # --- heartbeat -----------------------------------------------------------------------

    async def _heartbeat_loop(self) -> None:
        beats = 0
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            beats += 1
            try:
                await self._database_call(self._beat)
                if beats % ORPHAN_CHECK_BEATS == 0:
                    await self._database_call(mark_orphaned_runs)
                if beats % PERIODIC_JOBS_BEATS == 1:
                    await self._database_call(queue_periodic_jobs)
            except Exception:
                logger.exception("Worker %s: heartbeat failed", self.worker_id)

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
            },
        )

    def _sign_off(self) -> None:
        WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()

    # --- helpers -------------------------------------------------------------------------

    async def _database_call(self, function: Callable, *args: Any, retry: bool = False) -> Any:
        """`function(*args)` on a database thread. With `retry`, for work that may be done
        twice, a refused or lost connection is tried again until the database answers."""
        attempt = 0
        while True:
            try:
                return await self._loop.run_in_executor(
                    self._database, partial(_on_database_thread, function, *args)
                )
            except _DATABASE_DOWN as error:
                if not retry:
                    raise
                pause = DATABASE_RETRY_SECONDS[min(attempt, len(DATABASE_RETRY_SECONDS) - 1)]
                if attempt == 0:
                    logger.warning("Worker %s: database unavailable (%s)", self.worker_id, error)
                attempt += 1
                await asyncio.sleep(pause)

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


def _on_database_thread(function: Callable, *args: Any) -> Any:
    close_old_connections()  # drop a connection past CONN_MAX_AGE or found broken
    try:
        return function(*args)
    except _DATABASE_DOWN:
        connection.close()  # this thread reconnects on its next call
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


def _signal(signal, db_task: DBTaskResult) -> None:
    signal.send(sender=type(db_task.task.get_backend()), task_result=db_task.task_result)


def _requeue(db_task: DBTaskResult, worker_id: str) -> None:
    """A claimed task whose call had not begun goes back to the queue for any worker, and
    its run back to queued if this worker had just marked it running."""
    DBTaskResult.objects.filter(pk=db_task.pk, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.READY, started_at=None
    )
    Execution.objects.filter(
        task_id=str(db_task.id), status=ExecutionStatus.RUNNING, worker_id=worker_id
    ).update(status=ExecutionStatus.QUEUED, started_at=None, worker_id="")
