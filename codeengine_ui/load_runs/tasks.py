"""A load run executed by a worker: the `run_load` task drives the virtual users (engine.py)
from a thread of its own and, every tick, writes what they did in batches: each call a run
of the history (source "Load run", as the person who started it, in one statement per
batch), each second's figures, the load run's progress. It holds the instance's budget for
its users (runs.queue.take_budget), follows the instance's 429 back-off, stops when asked,
and ends as interrupted if its worker dies (`settle_abandoned_load_runs`)."""

import logging
import math
import sys
import threading
import time
import traceback
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.tasks import TaskContext, task
from django.tasks.base import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from codeengine_ui.catalog.models import Instance
from codeengine_ui.domo.client import HttpPool
from codeengine_ui.domo.errors import CodeEngineError
from codeengine_ui.error_codes import ErrorCode
from codeengine_ui.runs.models import (
    DOMO_STATUSES,
    BudgetHold,
    Execution,
    ExecutionStatus,
    RunSource,
)
from codeengine_ui.runs.queue import hold_back_instance, take_budget
from codeengine_ui.runs.worker import worker_stopping

from .authority import start_refusal
from .engine import CallResult, LoadEngine, Outcome, Plan, percentile
from .models import LoadBucket, LoadRun, LoadRunStatus
from .summary import summarise, verdict_of

logger = logging.getLogger(__name__)

TICK_SECONDS = 0.5
WRITE_BATCH = 1000
STOP_WAIT_SECONDS = 10.0
# How often a running load run asks again whether its person may still start it (role,
# "load" permission, token grant, an admin's confirmation on production).
AUTHORITY_SECONDS = 2.0
USERS_SWITCH_INTERVAL = 0.0005  # after a stop, for the users to note their last calls
WORKER_STOPPED_MESSAGE = (
    "Its worker was stopped (a deploy or a restart) before the end of its plan: no call "
    "started after that, and what it measured is kept."
)
INTERRUPTED_MESSAGE = (
    "The worker running this load run stopped (it crashed or was killed) before it "
    "finished; the calls it had recorded are kept and summed up."
)


@task(takes_context=True)
def run_load(context: TaskContext, load_run_id: int) -> str:
    worker_ids = context.task_result.worker_ids
    return drive(load_run_id, worker_ids[-1] if worker_ids else "db_worker")


def drive(load_run_id: int, worker_id: str) -> str:
    """Run a queued load run to its end on this thread; returns its status."""
    now = timezone.now()
    with transaction.atomic():
        taken = LoadRun.objects.filter(pk=load_run_id, status=LoadRunStatus.QUEUED).update(
            status=LoadRunStatus.RUNNING, worker_id=worker_id, started_at=now, last_beat_at=now
        )
        if not taken:
            return "not queued"
        load_run = LoadRun.objects.select_related(
            "function", "token__instance", "started_by", "api_key"
        ).get(pk=load_run_id)
        # Held while it runs, and gone with a dead worker's (runs.housekeeping): a running
        # load run without it was left by a dead worker.
        hold = BudgetHold.objects.create(
            instance_id=load_run.instance_id, holder=holder_of(load_run), worker_id=worker_id
        )
    _quick_switching(True)
    try:
        refusal = start_refusal(load_run)
        if refusal:
            _end(load_run, LoadRunStatus.ERROR, refusal)
        else:
            _Controller(load_run, hold, worker_id).run()
    except Exception as error:
        logger.error(
            "Load run %s failed:\n%s", load_run.pk, "".join(traceback.format_exception(error))
        )
        _end(
            load_run,
            LoadRunStatus.ERROR,
            f"The console failed while running it ({type(error).__name__}); the details are "
            "in the worker's log.",
        )
    finally:
        _quick_switching(False)
        BudgetHold.objects.filter(pk=hold.pk).delete()
    return load_run.status


_switching = {"load_runs": 0, "interval": sys.getswitchinterval()}
_switching_lock = threading.Lock()


def _quick_switching(on: bool) -> None:
    """While load runs are driven in this process, its users' threads get the interpreter
    back within half a millisecond of a reply rather than the default 5 ms, whatever this
    thread or the worker's others are doing: that wait would count in every call's latency."""
    with _switching_lock:
        if on and _switching["load_runs"] == 0:
            _switching["interval"] = sys.getswitchinterval()
            sys.setswitchinterval(USERS_SWITCH_INTERVAL)
        _switching["load_runs"] += 1 if on else -1
        if not on and _switching["load_runs"] == 0:
            sys.setswitchinterval(_switching["interval"])


def holder_of(load_run: LoadRun) -> str:
    return f"load run #{load_run.pk}"


class _Controller:
    def __init__(self, load_run: LoadRun, hold: BudgetHold, worker_id: str):
        self.load_run, self.hold, self.worker_id = load_run, hold, worker_id
        function = load_run.function
        self.plan = Plan(
            users=load_run.users,
            duration_seconds=load_run.duration_seconds,
            total_calls=load_run.total_calls,
            ramp_up_seconds=load_run.ramp_up_seconds,
            deadline_seconds=settings.LOAD_RUN_MAX_SECONDS,
            package_id=function.package_id,
            version=load_run.version,
            function_name=function.function_name,
            input_variables=load_run.input_variables,
            time_limit=function.time_limit_seconds,
        )
        self.template = _template(load_run, worker_id)
        self.buckets: dict[int, _Bucket] = {}
        self.written_seconds: set[int] = set()
        self.calls_done = 0
        self.backoff_noted = 0.0
        self.worker_stopped = False
        self.refused = ""
        self.authority_asked_at = time.monotonic()

    def run(self) -> None:
        load_run = self.load_run
        token = load_run.token
        engine = LoadEngine(self.plan, lambda: _client(token, self.plan.users))
        self.engine = engine
        self._steer()
        engine.start()
        stop_asked_at = None
        while not engine.join(TICK_SECONDS):
            if self._tick() and stop_asked_at is None:
                engine.stop()
                stop_asked_at = time.monotonic()
            if stop_asked_at and time.monotonic() - stop_asked_at > STOP_WAIT_SECONDS:
                break
        self._record(final=True)
        if engine.failure is not None:
            raise engine.failure
        load_run.refresh_from_db(fields=["status", "stop_requested"])
        if load_run.status != LoadRunStatus.RUNNING:
            return  # judged interrupted meanwhile, and so ended
        if self.worker_stopped:
            _end(load_run, LoadRunStatus.INTERRUPTED, WORKER_STOPPED_MESSAGE)
        elif self.refused:
            _end(load_run, LoadRunStatus.STOPPED, f"Stopped while running: {self.refused}")
        elif load_run.stop_requested:
            _end(load_run, LoadRunStatus.STOPPED, "Stopped before the end of its plan.")
        else:
            _end(load_run, LoadRunStatus.FINISHED, "")

    def _tick(self) -> bool:
        """Write what the users did, steer them; True when they must stop."""
        self._record(final=False)
        return self._steer()

    def _steer(self) -> bool:
        engine, plan = self.engine, self.plan
        elapsed = time.monotonic() - engine.start_monotonic if engine.start_monotonic else 0.0
        if plan.ramp_up_seconds:
            wanted = min(
                plan.users, math.ceil(plan.users * (elapsed + TICK_SECONDS) / plan.ramp_up_seconds)
            )
        else:
            wanted = plan.users
        engine.allowed_users = take_budget(self.hold, max(1, wanted))
        backoff_until = (
            Instance.objects.filter(pk=self.load_run.instance_id)
            .values_list("backoff_until", flat=True)
            .first()
        )
        now = timezone.now()
        if backoff_until is not None and backoff_until > now:
            left = (backoff_until - now).total_seconds()
            engine.hold_until = max(engine.hold_until, time.monotonic() + left)
        if engine.rate_limited_until_wall > self.backoff_noted:
            self.backoff_noted = engine.rate_limited_until_wall
            until = datetime.fromtimestamp(self.backoff_noted, tz=UTC)
            hold_back_instance(self.load_run.instance_id, until)
        state = (
            LoadRun.objects.filter(pk=self.load_run.pk)
            .values_list("status", "stop_requested")
            .first()
        )
        LoadRun.objects.filter(pk=self.load_run.pk, status=LoadRunStatus.RUNNING).update(
            last_beat_at=now, active_users=engine.active_users, calls_done=self.calls_done
        )
        self.worker_stopped = self.worker_stopped or worker_stopping(self.worker_id)
        if not self.refused and time.monotonic() - self.authority_asked_at >= AUTHORITY_SECONDS:
            self.authority_asked_at = time.monotonic()
            self.refused = _refusal_now(self.load_run.pk)
        stopping = self.worker_stopped or bool(self.refused)
        return state is None or state[0] != LoadRunStatus.RUNNING or state[1] or stopping

    def _record(self, *, final: bool) -> None:
        results = self.engine.results
        drained = []
        while results:
            drained.append(results.popleft())
        for start in range(0, len(drained), WRITE_BATCH):
            chunk = drained[start : start + WRITE_BATCH]
            with transaction.atomic():
                Execution.objects.bulk_create([self._execution(result) for result in chunk])
        for result in drained:
            self.buckets.setdefault(result.second, _Bucket()).add(result)
        self.calls_done += sum(1 for result in drained if result.outcome != Outcome.STOPPED)
        if self.engine.start_monotonic:
            current = math.floor(time.monotonic() - self.engine.start_monotonic)
        else:
            current = 0
        done = [s for s in self.buckets if (final or s < current) and s not in self.written_seconds]
        if done:
            LoadBucket.objects.bulk_create(
                [self.buckets[s].row(self.load_run, s) for s in sorted(done)],
                update_conflicts=True,
                unique_fields=["load_run", "second"],
                update_fields=[
                    "active_users",
                    "calls",
                    "succeeded",
                    "failed",
                    "rate_limited",
                    "errors",
                    "p50_ms",
                    "p95_ms",
                    "p99_ms",
                ],
            )
            self.written_seconds.update(done)
            for second in done:
                if not final:
                    del self.buckets[second]

    def _execution(self, result: CallResult) -> Execution:
        started = datetime.fromtimestamp(result.started, tz=UTC)
        latency = timedelta(seconds=result.latency)
        execution = Execution(
            **self.template,
            queued_at=started,
            started_at=started,
            call_sent_at=started,
            finished_at=started + latency,
            duration=latency,
        )
        outcome = result.execution
        if outcome is not None:
            status = (
                outcome.status if outcome.status in DOMO_STATUSES else ExecutionStatus.UNDEFINED
            )
            execution.status = status
            execution.http_status = outcome.http_status
            execution.domo_execution_id = outcome.execution_id[:100]
            execution.result = outcome.result
            execution.stdout_log, execution.stderr_log = outcome.stdout, outcome.stderr
            execution.error_information = outcome.error_information
            execution.domo_started_on, execution.domo_completed_on = (
                outcome.started_on,
                outcome.completed_on,
            )
            execution.domo_started_by = outcome.started_by[:100]
        elif result.outcome == Outcome.STOPPED:
            execution.status = ExecutionStatus.ABANDONED
        elif isinstance(result.error, CodeEngineError):
            execution.status = ExecutionStatus.ERROR
            execution.error_message = str(result.error)
            execution.error_code = result.error.code
            execution.http_status = result.error.http_status
        else:
            logger.error(
                "A call of load run %s failed inside the console:\n%s",
                self.load_run.pk,
                "".join(traceback.format_exception(result.error)),
            )
            execution.status = ExecutionStatus.ERROR
            execution.error_message = (
                f"The console failed while running this function ({type(result.error).__name__});"
                " the details are in the worker's log."
            )
            execution.error_code = ErrorCode.INTERNAL
        return execution


class _Bucket:
    def __init__(self):
        self.latencies: list[float] = []
        self.counts = {"succeeded": 0, "failed": 0, "rate_limited": 0, "errors": 0}
        self.active_users = 0

    def add(self, result: CallResult) -> None:
        self.active_users = max(self.active_users, result.active_users)
        if result.outcome == Outcome.STOPPED:
            return
        key = {
            Outcome.SUCCESS: "succeeded",
            Outcome.FAILED: "failed",
            Outcome.RATE_LIMITED: "rate_limited",
        }.get(result.outcome, "errors")
        self.counts[key] += 1
        if result.outcome in (Outcome.SUCCESS, Outcome.FAILED):
            self.latencies.append(result.latency * 1000)

    def row(self, load_run: LoadRun, second: int) -> LoadBucket:
        ordered = sorted(self.latencies)
        return LoadBucket(
            load_run=load_run,
            second=second,
            active_users=self.active_users,
            calls=sum(self.counts.values()),
            **self.counts,
            p50_ms=percentile(ordered, 0.50),
            p95_ms=percentile(ordered, 0.95),
            p99_ms=percentile(ordered, 0.99),
        )


def _refusal_now(load_run_id: int) -> str:
    """Why the load run's person may not go on now (read afresh), or ""."""
    fresh = (
        LoadRun.objects.select_related("function", "token__instance", "started_by", "api_key")
        .filter(pk=load_run_id)
        .first()
    )
    return (start_refusal(fresh) or "") if fresh is not None else ""


def _client(token, users: int):
    http = HttpPool(max_connections=users, ca_bundle=settings.CODEENGINE_CA_BUNDLE)
    return token.client(http=http), http


def _template(load_run: LoadRun, worker_id: str) -> dict:
    """What every call's run has in common: what it ran, as whom, from where."""
    function = load_run.function
    return {
        "function": function,
        "instance_id": load_run.instance_id,
        "instance_name": function.instance.name,
        "package_id": function.package_id,
        "version": load_run.version,
        "function_name": function.function_name,
        "token": load_run.token,
        "token_label": load_run.token.label,
        "input_variables": load_run.input_variables,
        "get_logs": False,
        "requested_by": load_run.started_by,
        "api_key": load_run.api_key,
        "api_key_name": load_run.api_key_name,
        "source": RunSource.LOAD,
        "batch_id": load_run.uuid,
        "worker_id": worker_id,
    }


def _end(load_run: LoadRun, status: str, message: str) -> None:
    """End the load run (unless something else ended it) with its summary and verdict."""
    summary = summarise(load_run)
    verdict = verdict_of(summary) if status == LoadRunStatus.FINISHED else ""
    fields = {
        "status": status,
        "status_message": message[:500],
        "finished_at": timezone.now(),
        "summary": summary,
        "verdict": verdict,
        "active_users": 0,
        "calls_done": summary["calls"],
    }
    if LoadRun.objects.filter(
        pk=load_run.pk, status__in=[LoadRunStatus.RUNNING, LoadRunStatus.QUEUED]
    ).update(**fields):
        for name, value in fields.items():
            setattr(load_run, name, value)
    else:
        load_run.refresh_from_db()


def settle_abandoned_load_runs() -> int:
    """End as interrupted the load runs whose worker died (its budget hold went with it,
    runs.housekeeping) or whose driver stopped beating, and the queued ones whose task
    ended without starting them. A job of every worker."""
    stale = timezone.now() - timedelta(seconds=settings.RUN_WORKER_STALE_SECONDS)
    in_progress = LoadRun.objects.filter(status__in=[LoadRunStatus.RUNNING, LoadRunStatus.QUEUED])
    if not in_progress.exists():
        return 0
    running = list(LoadRun.objects.filter(status=LoadRunStatus.RUNNING))
    # Read after the runs: a load run and its hold are stored together.
    held = set(BudgetHold.objects.values_list("holder", flat=True))
    count = 0
    for load_run in running:
        beat_lost = load_run.last_beat_at is None or load_run.last_beat_at < stale
        if holder_of(load_run) not in held or beat_lost:
            BudgetHold.objects.filter(holder=holder_of(load_run)).delete()
            _end(load_run, LoadRunStatus.INTERRUPTED, INTERRUPTED_MESSAGE)
            count += 1
    for load_run in LoadRun.objects.filter(status=LoadRunStatus.QUEUED).exclude(task_id=""):
        ended = DBTaskResult.objects.filter(
            pk=load_run.task_id,
            status__in=[TaskResultStatus.FAILED, TaskResultStatus.SUCCESSFUL],
        ).exists()
        if ended:
            _end(load_run, LoadRunStatus.INTERRUPTED, INTERRUPTED_MESSAGE)
            count += 1
    return count
