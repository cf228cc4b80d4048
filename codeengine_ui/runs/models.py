import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import connection, models
from django.utils import timezone

from codeengine_ui.domo.client import FunctionExecution
from codeengine_ui.error_codes import NOT_RUN_CODES, ErrorCode, title_before

from .fields import OrderedJSONField


class ExecutionStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    # Domo's outcomes, as Code Engine spells them.
    SUCCESS = "SUCCESS", "Success"
    FAILED = "FAILED", "Failed"
    RESULT_TYPE_FAILURE = "RESULT_TYPE_FAILURE", "Result type failure"
    OUTPUT_UNDEFINED = "OUTPUT_UNDEFINED", "Output undefined"
    UNDEFINED = "UNDEFINED", "Undefined"
    # Ours: the call produced no Domo result, or the worker went away mid-run.
    ERROR = "error", "Error"
    INTERRUPTED = "interrupted", "Interrupted"
    # Ended by a person: before a worker took it, or while Code Engine was running it.
    CANCELLED = "cancelled", "Cancelled"
    ABANDONED = "abandoned", "Stopped waiting"


STATUS_EXPLANATIONS = {
    ExecutionStatus.QUEUED: "Waiting for a worker to pick up this run.",
    ExecutionStatus.RUNNING: "Code Engine is running the function.",
    ExecutionStatus.SUCCESS: "The function returned a value that matches its declared output.",
    ExecutionStatus.FAILED: "The function threw an error or crashed: see the error messages "
    "and stderr below.",
    ExecutionStatus.RESULT_TYPE_FAILURE: "The function returned a value whose type does not "
    "match the output its definition declares.",
    ExecutionStatus.OUTPUT_UNDEFINED: "The function returned nothing, although its definition "
    "declares an output.",
    ExecutionStatus.UNDEFINED: "Code Engine could not determine how the run ended.",
    ExecutionStatus.ERROR: "The call produced no result from Code Engine.",
    ExecutionStatus.INTERRUPTED: "The run was cut off before it finished.",
    ExecutionStatus.CANCELLED: "Cancelled before it started: Code Engine never ran it.",
    ExecutionStatus.ABANDONED: "The console stopped waiting for this run. Code Engine may "
    "still finish it (the Domo API has no way to cancel a run); its answer is ignored.",
}

IN_PROGRESS_STATUSES = (ExecutionStatus.QUEUED, ExecutionStatus.RUNNING)
DOMO_STATUSES = frozenset(
    {
        ExecutionStatus.SUCCESS,
        ExecutionStatus.FAILED,
        ExecutionStatus.RESULT_TYPE_FAILURE,
        ExecutionStatus.OUTPUT_UNDEFINED,
        ExecutionStatus.UNDEFINED,
    }
)


class Outcome(models.TextChoices):
    """How a run ended, in the three ways that call for different action."""

    SUCCESS = "success", "Success"
    DOMO_FAILURE = "failure", "Domo failure"
    CALL_ERROR = "error", "Call error"
    UNSUCCESSFUL = "unsuccessful", "Not successful"
    IN_FLIGHT = "in_flight", "In flight"


OUTCOME_DESCRIPTIONS = {
    Outcome.SUCCESS: "the function returned its declared output",
    Outcome.DOMO_FAILURE: "Code Engine ran the function and it failed",
    Outcome.CALL_ERROR: "no result came back (network, token, time limit, interrupted, cancelled)",
}
_DOMO_FAILURES = (
    ExecutionStatus.FAILED,
    ExecutionStatus.RESULT_TYPE_FAILURE,
    ExecutionStatus.OUTPUT_UNDEFINED,
    ExecutionStatus.UNDEFINED,
)
_CALL_ERRORS = (
    ExecutionStatus.ERROR,
    ExecutionStatus.INTERRUPTED,
    ExecutionStatus.CANCELLED,
    ExecutionStatus.ABANDONED,
)
OUTCOME_STATUSES = {
    Outcome.SUCCESS: (ExecutionStatus.SUCCESS,),
    Outcome.DOMO_FAILURE: _DOMO_FAILURES,
    Outcome.CALL_ERROR: _CALL_ERRORS,
    Outcome.UNSUCCESSFUL: _DOMO_FAILURES + _CALL_ERRORS,
    Outcome.IN_FLIGHT: IN_PROGRESS_STATUSES,
}
FINISHED_OUTCOMES = (Outcome.SUCCESS, Outcome.DOMO_FAILURE, Outcome.CALL_ERROR)
OUTCOME_OF_STATUS = {
    status: outcome for outcome in FINISHED_OUTCOMES for status in OUTCOME_STATUSES[outcome]
}


class RunSource(models.TextChoices):
    """Where a run was started from. A person waiting at a page goes first: workers claim
    interactive runs before batches."""

    FORM = "form", "Web"
    RUN_AGAIN = "run_again", "Web, run again"
    API = "api", "API"
    CLI = "cli", "Command line"
    SUITE = "suite", "Suite"
    DEMO = "demo", "Demo history"
    BATCH = "batch", "Batch"
    AGENT = "agent", "AI agent"
    TABLE = "table", "Table"
    LOAD = "load", "Load run"

    @property
    def priority(self) -> int:
        return 0 if self in (RunSource.BATCH, RunSource.TABLE, RunSource.LOAD) else 10


class Execution(models.Model):
    """One run of a Code Engine function: what was sent, by whom, and what came back.

    Everything needed to understand the run is copied here (instance, package, version,
    token label) so the history stays readable after a function or token is deleted. The
    token itself is never stored here.
    """

    function = models.ForeignKey(
        "catalog.Function",
        db_index=False,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="executions",
    )
    instance = models.ForeignKey(
        "catalog.Instance",
        db_index=False,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    instance_name = models.CharField(max_length=63)
    package_id = models.CharField("package id", max_length=100)
    version = models.CharField(max_length=64)
    function_name = models.CharField(max_length=200)
    token = models.ForeignKey(
        "catalog.AccessToken",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    token_label = models.CharField(max_length=100)
    input_variables = OrderedJSONField("inputVariables sent", default=dict)
    get_logs = models.BooleanField("getLogs", default=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        db_index=False,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="executions",
    )
    idempotency_key = models.UUIDField(null=True, blank=True, editable=False)
    source = models.CharField(max_length=16, choices=RunSource.choices, default=RunSource.FORM)
    # Runs started with an API key (the API, the command line) keep its name.
    api_key = models.ForeignKey(
        "access.ApiKey",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    api_key_name = models.CharField("API key", max_length=100, blank=True)
    # Runs an AI agent started through /mcp/: the client it named itself (its clientInfo),
    # and the connected client it signed in as, when it used OAuth rather than a key.
    agent_client = models.CharField("AI client", max_length=200, blank=True)
    oauth_client_name = models.CharField("Connected client", max_length=200, blank=True)
    # The runs of one batch submitted through the API share its id.
    batch_id = models.UUIDField(null=True, blank=True, db_index=True)

    status = models.CharField(
        max_length=24, choices=ExecutionStatus.choices, default=ExecutionStatus.QUEUED
    )
    http_status = models.PositiveSmallIntegerField("HTTP status", null=True, blank=True)
    domo_execution_id = models.CharField("Domo executionId", max_length=100, blank=True)
    result = OrderedJSONField(null=True, blank=True)
    stdout_log = OrderedJSONField("stdout", default=list, blank=True)
    stderr_log = OrderedJSONField("stderr", default=list, blank=True)
    error_information = OrderedJSONField("errorInformation", null=True, blank=True)
    error_message = models.TextField(blank=True)
    error_code = models.CharField(max_length=40, blank=True, choices=ErrorCode.choices)
    domo_started_on = models.DateTimeField("Domo startedOn", null=True, blank=True)
    domo_completed_on = models.DateTimeField("Domo completedOn", null=True, blank=True)
    domo_started_by = models.CharField("Domo startedBy", max_length=100, blank=True)

    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration = models.DurationField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    worker_id = models.CharField(max_length=64, blank=True)
    # When the worker began sending the request (its connection to Code Engine was open):
    # a run without it never reached Code Engine, and goes back to the queue if its worker
    # dies.
    call_sent_at = models.DateTimeField("call sent", null=True, blank=True)
    # What happened to the run beyond its status, oldest first: [{"at": ISO time, "text"}].
    story = OrderedJSONField(default=list, blank=True)
    # In the workers' queue (the database task backend; see queue.py): the run's place,
    # interactive runs before batches, then in turns shared fairly between submitters.
    queue_priority = models.SmallIntegerField(default=0)
    queue_turn = models.BigIntegerField(null=True, blank=True)
    # Tries so far; a run Code Engine did not run (rate limited, unreachable) waits until
    # retry_at and is tried again. While it waits, error_code and error_message say why.
    attempts = models.PositiveSmallIntegerField(default=1)
    retry_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        # The history lists newest first (by id) under one filter at a time: each filter
        # has an index that ends in id, so a page is a short range scan at any depth.
        indexes = [
            models.Index(fields=["status", "id"], name="execution_status_recent"),
            models.Index(fields=["function", "id"], name="execution_function_recent"),
            models.Index(fields=["instance", "id"], name="execution_instance_recent"),
            models.Index(fields=["requested_by", "id"], name="execution_user_recent"),
            models.Index(fields=["version", "id"], name="execution_version_recent"),
            # Time windows (the home page's counts and durations, a chart bar's runs) read
            # only this index.
            models.Index(
                fields=["queued_at", "status", "duration"], name="execution_queued_outcome"
            ),
            # The queue: claimed in this order, and each submitter's last turn.
            models.Index(
                models.F("queue_priority").desc(),
                "queue_turn",
                "id",
                condition=models.Q(status="queued", queue_turn__isnull=False),
                name="execution_queue",
            ),
            models.Index(
                "requested_by",
                "api_key",
                "queue_turn",
                condition=models.Q(status="queued", queue_turn__isnull=False),
                name="execution_submitter_turns",
            ),
            # Runs in flight per instance, against its budget.
            models.Index(
                fields=["instance"],
                condition=models.Q(status="running"),
                name="execution_instance_running",
            ),
            # The check for crashed workers reads only the runs in flight of the dead ones.
            models.Index(
                fields=["worker_id"],
                condition=models.Q(status__in=["queued", "running"]),
                name="execution_worker_in_flight",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["requested_by", "idempotency_key"], name="one_run_per_submission"
            )
        ]

    def __str__(self) -> str:
        return f"{self.function_name} #{self.pk}"

    @classmethod
    def for_run(
        cls,
        *,
        function,
        token,
        input_variables: dict,
        get_logs: bool,
        user,
        idempotency_key=None,
        version: str | None = None,
        source: str = RunSource.FORM,
    ) -> "Execution":
        """A new, unsaved run of `function` (at `version`, by default the one it pins), with
        what it runs copied onto it."""
        return cls(
            function=function,
            instance=function.instance,
            instance_name=function.instance.name,
            package_id=function.package_id,
            version=version or function.version,
            function_name=function.function_name,
            token=token,
            token_label=token.label,
            input_variables=input_variables,
            get_logs=get_logs,
            requested_by=user,
            idempotency_key=idempotency_key,
            source=source,
        )

    @property
    def is_finished(self) -> bool:
        return self.status not in IN_PROGRESS_STATUSES

    @property
    def status_explanation(self) -> str:
        if self.is_waiting_to_retry:
            return self.error_message
        return STATUS_EXPLANATIONS.get(self.status, "")

    @property
    def error_title(self) -> str:
        """What to call the failure before its message, unless the message says it."""
        return title_before(self.error_code, self.error_message)

    @property
    def has_domo_answer(self) -> bool:
        return self.status in DOMO_STATUSES

    @property
    def function_never_ran(self) -> bool:
        """Code Engine certainly did not run it (refused before the call, or by Domo)."""
        return self.status == ExecutionStatus.ERROR and self.error_code in NOT_RUN_CODES

    @property
    def is_waiting_to_retry(self) -> bool:
        """Queued again after a try Code Engine did not run."""
        return self.status == ExecutionStatus.QUEUED and self.retry_at is not None

    @property
    def max_attempts(self) -> int:
        return settings.RUN_MAX_ATTEMPTS

    @property
    def has_result(self) -> bool:
        """Whether there is a result to show: Domo answered, and not with a failure and no value."""
        if self.status not in DOMO_STATUSES:
            return False
        return not (self.status == ExecutionStatus.FAILED and self.result is None)

    @property
    def domo_duration(self) -> timedelta | None:
        if self.domo_started_on and self.domo_completed_on:
            return self.domo_completed_on - self.domo_started_on
        return None

    @property
    def counted_from(self):
        """When the run's time starts: when a worker started it, or else when it was queued."""
        return self.started_at or self.queued_at

    def elapsed(self) -> timedelta:
        """Time since the run started (or was queued), up to now or its end."""
        return (self.finished_at or timezone.now()) - self.counted_from

    @property
    def live_state(self) -> str:
        """What a live page shows of the run changes when this does."""
        return f"{self.status}:{self.attempts}"

    def stop(self) -> bool:
        """Cancel the run if no worker has taken it (it never starts), or else stop waiting
        for it (Code Engine may still finish it: its answer is ignored). False if it had
        already ended."""
        ends = {
            ExecutionStatus.QUEUED: ExecutionStatus.CANCELLED,
            ExecutionStatus.RUNNING: ExecutionStatus.ABANDONED,
        }
        for was, becomes in ends.items():
            self.refresh_from_db(fields=["status", "started_at"])
            now = timezone.now()
            fields = {
                "status": becomes,
                "finished_at": now,
                "duration": now - (self.started_at or self.queued_at),
                "error_code": "",
                "error_message": "",
                "retry_at": None,
            }
            if Execution.objects.filter(pk=self.pk, status=was).update(**fields):
                for name, value in fields.items():
                    setattr(self, name, value)
                return True
        self.refresh_from_db()
        return False

    def mark_running(self, worker_id: str) -> bool:
        """Take the run from queued to running; False if something else already did."""
        now = timezone.now()
        taken = Execution.objects.filter(pk=self.pk, status=ExecutionStatus.QUEUED).update(
            status=ExecutionStatus.RUNNING, started_at=now, worker_id=worker_id
        )
        if taken:
            self.status, self.started_at, self.worker_id = ExecutionStatus.RUNNING, now, worker_id
        return bool(taken)

    @classmethod
    def mark_all_running(cls, executions: list["Execution"], worker_id: str) -> list["Execution"]:
        """Take queued runs to running in one statement; those something else already took
        are left out of the list returned."""
        now = timezone.now()
        ids = [execution.pk for execution in executions]
        updated = cls.objects.filter(pk__in=ids, status=ExecutionStatus.QUEUED).update(
            status=ExecutionStatus.RUNNING, started_at=now, worker_id=worker_id
        )
        if updated == len(set(ids)):
            taken = set(ids)
        else:  # some were taken or ended meanwhile: find which this call took
            taken = set(
                cls.objects.filter(
                    pk__in=ids, status=ExecutionStatus.RUNNING, worker_id=worker_id, started_at=now
                ).values_list("pk", flat=True)
            )
        for execution in executions:
            if execution.pk in taken:
                execution.status = ExecutionStatus.RUNNING
                execution.started_at, execution.worker_id = now, worker_id
        return [execution for execution in executions if execution.pk in taken]

    @classmethod
    def mark_calls_sent(cls, executions: list["Execution"], worker_id: str) -> set[int]:
        """Note that these runs' requests are being sent, in one statement: the ids of
        those this worker still holds. A run taken from it meanwhile (judged dead during
        an outage, and put back in the queue) must not be sent by it as well."""
        now = timezone.now()
        ids = [execution.pk for execution in executions]
        held = cls.objects.filter(
            pk__in=ids, status=ExecutionStatus.RUNNING, worker_id=worker_id, call_sent_at=None
        )
        if held.update(call_sent_at=now) == len(set(ids)):
            sent = set(ids)
        else:
            sent = set(
                cls.objects.filter(pk__in=ids, worker_id=worker_id, call_sent_at=now).values_list(
                    "pk", flat=True
                )
            )
        for execution in executions:
            if execution.pk in sent:
                execution.call_sent_at = now
        return sent

    def record_outcome(self, outcome: FunctionExecution) -> bool:
        status, message = outcome.status, ""
        if status not in DOMO_STATUSES:
            message = (
                f'Code Engine answered with status "{status}", which is not a finished outcome '
                "the console knows; the reply is shown as it came."
            )
            status = ExecutionStatus.UNDEFINED
        return self._finish(
            status=status,
            http_status=outcome.http_status,
            domo_execution_id=outcome.execution_id[:100],
            result=outcome.result,
            stdout_log=outcome.stdout,
            stderr_log=outcome.stderr,
            error_information=outcome.error_information,
            error_message=message,
            domo_started_on=outcome.started_on,
            domo_completed_on=outcome.completed_on,
            domo_started_by=outcome.started_by[:100],
        )

    def record_error(
        self,
        message: str,
        *,
        code: ErrorCode | str,
        http_status: int | None = None,
        status: str = ExecutionStatus.ERROR,
        story: list | None = None,
    ) -> bool:
        fields = {"story": story} if story is not None else {}
        return self._finish(
            status=status, error_message=message, error_code=code, http_status=http_status, **fields
        )

    def wait_to_retry(self, code: str, message: str, retry_at) -> bool:
        """Back to the queue after a try Code Engine did not run: tried again at
        `retry_at`. False if the run was already ended."""
        fields = {
            "status": ExecutionStatus.QUEUED,
            "attempts": self.attempts + 1,
            "retry_at": retry_at,
            "error_code": code,
            "error_message": message,
            "started_at": None,
            "worker_id": "",
            "call_sent_at": None,
        }
        updated = Execution.objects.filter(
            pk=self.pk, status__in=IN_PROGRESS_STATUSES, attempts=self.attempts
        ).update(**fields)
        if updated:
            for name, value in fields.items():
                setattr(self, name, value)
        return bool(updated)

    def _finish(self, **fields) -> bool:
        """Store the outcome, unless the run was already ended (e.g. marked interrupted).
        Inside `finishing_together()` the write waits for the block's end."""
        now = timezone.now()
        fields.setdefault("error_code", "")
        fields.setdefault("error_message", "")
        fields.update(finished_at=now, duration=now - (self.started_at or self.queued_at))
        waiting = getattr(_finishes, "waiting", None)
        if waiting is not None:
            waiting.append((self, fields))
            return True
        updated = Execution.objects.filter(pk=self.pk, status__in=IN_PROGRESS_STATUSES).update(
            **fields
        )
        if updated:
            for name, value in fields.items():
                setattr(self, name, value)
            return True
        return self._overturn_interrupted(fields)

    def _overturn_interrupted(self, fields: dict) -> bool:
        """Store a live worker's outcome over the "interrupted" that another worker set
        while this run's worker could not reach the database: the owner was alive after
        all, and what Code Engine answered is worth more than the guess. The story says so."""
        if not self.worker_id or fields.get("status") == ExecutionStatus.INTERRUPTED:
            return False
        judged = Execution.objects.filter(
            pk=self.pk,
            status=ExecutionStatus.INTERRUPTED,
            error_code=ErrorCode.INTERRUPTED,
            worker_id=self.worker_id,
        )
        story = judged.values_list("story", flat=True).first()
        if story is None:
            return False
        fields = {
            **fields,
            "story": [
                *story,
                story_line(
                    "Its worker was alive: the outcome it received from Code Engine replaced "
                    "the verdict above."
                ),
            ],
        }
        if not judged.update(**fields):
            return False
        for name, value in fields.items():
            setattr(self, name, value)
        return True

    @staticmethod
    @contextmanager
    def finishing_together() -> Iterator[None]:
        """Outcomes recorded in the block (on this thread) are written when it ends: one
        statement for all the runs, sent as one batch, instead of a query built for each.
        The runs keep only what was written: a run ended meanwhile (interrupted) keeps
        its status."""
        _finishes.waiting = []
        try:
            yield
            finishes, _finishes.waiting = _finishes.waiting, None
            _write_finishes(finishes)
        finally:
            _finishes.waiting = None


class WorkerHeartbeat(models.Model):
    """Written every few seconds by each running `run_worker` process."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    concurrency = models.PositiveSmallIntegerField()
    runs_in_flight = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField()
    last_seen_at = models.DateTimeField(db_index=True)
    # On PostgreSQL, the advisory lock (a number under runs.liveness.LOCK_CLASS) the worker
    # holds on a connection of its own while its process lives: held means alive,
    # whatever the heartbeat's age.
    liveness_key = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"{self.hostname}:{self.pid} ({self.worker_id})"

    @classmethod
    def live(cls):
        stale = timezone.now() - timedelta(seconds=settings.RUN_WORKER_STALE_SECONDS)
        return cls.objects.filter(last_seen_at__gte=stale)


_finishes = threading.local()


def _write_finishes(finishes: list[tuple[Execution, dict]]) -> None:
    by_shape: dict[tuple, list] = {}
    for execution, fields in finishes:
        by_shape.setdefault(tuple(sorted(fields)), []).append((execution, fields))
    fields_of = {field.name: field for field in Execution._meta.concrete_fields}
    in_progress = ", ".join(["%s"] * len(IN_PROGRESS_STATUSES))
    for names, group in by_shape.items():
        columns = ", ".join(f"{connection.ops.quote_name(fields_of[n].column)} = %s" for n in names)
        table = connection.ops.quote_name(Execution._meta.db_table)
        # Only the model's own column names are written into the statement; values are
        # parameters.
        sql = f"UPDATE {table} SET {columns} WHERE id = %s AND status IN ({in_progress})"  # noqa: S608
        rows = [
            [fields_of[n].get_db_prep_save(fields[n], connection) for n in names]
            + [execution.pk, *IN_PROGRESS_STATUSES]
            for execution, fields in group
        ]
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)
    # What was written, read back in one query: a run ended meanwhile was left alone.
    written = dict(
        Execution.objects.filter(pk__in=[execution.pk for execution, _ in finishes]).values_list(
            "pk", "finished_at"
        )
    )
    for execution, fields in finishes:
        if written.get(execution.pk) == fields["finished_at"]:
            for name, value in fields.items():
                setattr(execution, name, value)
        else:
            execution._overturn_interrupted(fields)


def story_line(text: str) -> dict:
    """A line of a run's story, dated now."""
    return {"at": timezone.now().isoformat(), "text": text}


class RunHour(models.Model):
    """Finished runs counted by the hour they were queued in (UTC), their instance, function,
    status, source and how the call ended; kept by database triggers as runs end, change
    or are deleted (rollups.py), so the home page, the operations page and /metrics read a
    few rows instead of every run. A run sent back to the queue to be tried again counts
    once under the status "retried"."""

    hour = models.DateTimeField()
    instance_id = models.IntegerField(default=0)  # 0: none (deleted)
    function_id = models.IntegerField(default=0)
    status = models.CharField(max_length=24)
    source = models.CharField(max_length=16)
    http_status = models.IntegerField(default=0)  # 0: no answer
    error_code = models.CharField(max_length=40, blank=True)
    runs = models.IntegerField(default=0)
    seconds = models.FloatField(default=0.0)  # durations added up

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "hour",
                    "instance_id",
                    "function_id",
                    "status",
                    "source",
                    "http_status",
                    "error_code",
                ],
                name="one_run_hour_row",
            )
        ]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}:00 {self.status}: {self.runs}"


class DurationHour(models.Model):
    """How long finished runs took, by the hour they were queued in: a count for each
    duration bucket (rollups.DURATION_BOUNDS), from which percentiles are read."""

    hour = models.DateTimeField()
    bucket = models.SmallIntegerField()
    runs = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hour", "bucket"], name="one_duration_hour_row")
        ]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}:00 bucket {self.bucket}: {self.runs}"


class RunTotal(models.Model):
    """All-time counts of finished runs by instance, status, source and how the call ended
    (and the retried tries), for /metrics' counters; kept by the same triggers."""

    instance_id = models.IntegerField(default=0)
    status = models.CharField(max_length=24)
    source = models.CharField(max_length=16)
    http_status = models.IntegerField(default=0)
    error_code = models.CharField(max_length=40, blank=True)
    runs = models.BigIntegerField(default=0)
    seconds = models.FloatField(default=0.0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["instance_id", "status", "source", "http_status", "error_code"],
                name="one_run_total_row",
            )
        ]

    def __str__(self) -> str:
        return f"{self.status} ({self.source}): {self.runs}"


class DurationTotal(models.Model):
    """All-time counts of finished runs by duration bucket, for /metrics' histogram."""

    bucket = models.SmallIntegerField(unique=True)
    runs = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"bucket {self.bucket}: {self.runs}"


class StatusHour(models.Model):
    """Finished runs by the hour they were queued in and status alone: the home page's
    counts, a few rows an hour however many functions and instances there are."""

    hour = models.DateTimeField()
    status = models.CharField(max_length=24)
    runs = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hour", "status"], name="one_status_hour_row")
        ]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}:00 {self.status}: {self.runs}"


class BudgetHold(models.Model):
    """Slots of an instance's budget held by calls that are not queued runs (a load run's
    virtual users): the queue counts them with the runs in flight, so together they never
    exceed the instance's "runs at once". Held by a worker; a dead worker's holds go."""

    instance = models.ForeignKey("catalog.Instance", on_delete=models.CASCADE, related_name="+")
    slots = models.PositiveIntegerField(default=0)
    holder = models.CharField(max_length=100)  # what holds them, in words ("load run #3")
    worker_id = models.CharField(max_length=64, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.holder}: {self.slots} of {self.instance_id}"
