"""A worker for django-tasks-db's queue that keeps several runs in flight at once.

Runs are I/O-bound: a thread spends up to five minutes waiting on Code Engine. `db_worker`
runs one task at a time; this worker claims tasks from the same table with the same
locking (so both can serve one queue) and runs up to `concurrency` of them on threads.
It writes a heartbeat that /health/ reads, and marks runs whose worker died as interrupted.
"""

import logging
import os
import socket
import threading
from datetime import timedelta
from traceback import format_exception

from django.db import OperationalError, close_old_connections, connections
from django.tasks.base import TaskContext
from django.tasks.signals import task_finished, task_started
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from .housekeeping import interrupt, mark_orphaned_runs, queue_periodic_jobs
from .models import IN_PROGRESS_STATUSES, Execution, WorkerHeartbeat

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0
ORPHAN_CHECK_BEATS = 6  # every 30 s
PERIODIC_JOBS_BEATS = 720  # hourly, starting with the first beat
SHUTDOWN_GRACE_SECONDS = 5.0


class RunWorker:
    def __init__(
        self,
        *,
        concurrency: int,
        poll_interval: float,
        backend_name: str = "default",
        queue_names: tuple[str, ...] = ("default",),
        worker_id: str | None = None,
    ):
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.concurrency = concurrency
        self.poll_interval = poll_interval
        self.backend_name = backend_name
        self.queue_names = queue_names
        self.worker_id = worker_id or get_random_string(32)
        self._slots = threading.BoundedSemaphore(concurrency)
        self._stopping = threading.Event()
        self._active: set[threading.Thread] = set()
        self._active_lock = threading.Lock()

    @property
    def runs_in_flight(self) -> int:
        with self._active_lock:
            return len(self._active)

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        """Claim and run tasks until `stop()`; then wait briefly for runs in flight."""
        logger.info("Worker %s started, %d runs at once", self.worker_id, self.concurrency)
        self._beat()
        mark_orphaned_runs()
        heartbeat = threading.Thread(
            target=self._heartbeat_loop, daemon=True, name="worker-heartbeat"
        )
        heartbeat.start()
        try:
            self._claim_loop()
        finally:
            self._drain()
            heartbeat.join(HEARTBEAT_SECONDS + 1)
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()
            connections.close_all()
            logger.info("Worker %s stopped", self.worker_id)

    # --- claiming ------------------------------------------------------------------------

    def _claim_loop(self) -> None:
        while not self._stopping.is_set():
            if not self._slots.acquire(timeout=0.5):
                continue
            try:
                db_task = self._claim_next()
            except Exception:
                self._slots.release()
                logger.exception("Worker %s could not claim a task", self.worker_id)
                self._stopping.wait(max(self.poll_interval, 1.0))
                continue
            if db_task is None:
                self._slots.release()
                close_old_connections()
                self._stopping.wait(self.poll_interval)
                continue
            thread = threading.Thread(
                target=self._run_task,
                args=(db_task,),
                daemon=True,
                name=f"run-{db_task.id}",
            )
            with self._active_lock:
                self._active.add(thread)
            thread.start()

    def _claim_next(self) -> DBTaskResult | None:
        tasks = DBTaskResult.objects.ready().filter(
            backend_name=self.backend_name, queue_name__in=self.queue_names
        )
        # A plain read first: an idle worker polls often, and only a ready task is worth
        # the exclusive transaction that claiming takes.
        if not tasks.exists():
            return None
        try:
            with exclusive_transaction(tasks.db):
                db_task = tasks.get_locked()
                if db_task is not None:
                    db_task.claim(self.worker_id)
                return db_task
        except OperationalError as error:
            if is_locked_database_exception(error):
                return None
            raise

    # --- running -------------------------------------------------------------------------

    def _run_task(self, db_task: DBTaskResult) -> None:
        try:
            close_old_connections()
            task = db_task.task
            task_result = db_task.task_result
            backend = type(task.get_backend())
            task_started.send(sender=backend, task_result=task_result)
            if task.takes_context:
                value = task.call(
                    TaskContext(task_result=task_result), *task_result.args, **task_result.kwargs
                )
            else:
                value = task.call(*task_result.args, **task_result.kwargs)
            db_task.set_successful(value)
            task_finished.send(sender=backend, task_result=db_task.task_result)
        except BaseException as error:
            logger.error("Task %s failed:\n%s", db_task.id, "".join(format_exception(error)))
            try:
                db_task.set_failed(error)
            except Exception:
                logger.exception("Task %s: could not record the failure", db_task.id)
        finally:
            connections.close_all()  # this thread ends here; its connections must not linger
            with self._active_lock:
                self._active.discard(threading.current_thread())
            self._slots.release()

    def _drain(self) -> None:
        """Give runs in flight a moment to finish; the rest are marked interrupted."""
        with self._active_lock:
            active = list(self._active)
        deadline = timezone.now() + timedelta(seconds=SHUTDOWN_GRACE_SECONDS)
        for thread in active:
            thread.join(max(0.0, (deadline - timezone.now()).total_seconds()))
        if self.runs_in_flight:
            count = interrupt(
                Execution.objects.filter(worker_id=self.worker_id, status__in=IN_PROGRESS_STATUSES),
                "The worker was stopped while this function was running. Code Engine may "
                "still have completed the run.",
            )
            logger.warning("Worker %s stopped with %d runs in flight", self.worker_id, count)

    # --- heartbeat -----------------------------------------------------------------------

    def _heartbeat_loop(self) -> None:
        beats = 0
        while not self._stopping.wait(HEARTBEAT_SECONDS):
            try:
                self._beat()
                beats += 1
                if beats % ORPHAN_CHECK_BEATS == 0:
                    mark_orphaned_runs()
                if beats % PERIODIC_JOBS_BEATS == 1:
                    queue_periodic_jobs()
            except Exception:
                logger.exception("Worker %s: heartbeat failed", self.worker_id)
            finally:
                close_old_connections()
        connections.close_all()

    def _beat(self) -> None:
        now = timezone.now()
        seen = {"last_seen_at": now, "runs_in_flight": self.runs_in_flight}
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
