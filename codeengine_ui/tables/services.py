"""Runs over a table: a draft from a file, a DataSet or rows; its preview; starting it (a
run per valid row, through `runs.services`); following it; running failed rows again.

Whoever starts a table run (or runs its rows again) must be a member who may use the
token now: `new_runs` checks it at that moment, as the run form does. The rows' runs are
stored and queued in one transaction with their `TableRow`s, so a table run is either
fully started or not at all.
"""

import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from codeengine_ui.catalog.models import AccessToken, Function
from codeengine_ui.catalog.tokens import client_for
from codeengine_ui.domo.dataset_rows import read_dataset_rows
from codeengine_ui.runs.models import (
    IN_PROGRESS_STATUSES,
    OUTCOME_STATUSES,
    ExecutionStatus,
    Outcome,
    RunSource,
)
from codeengine_ui.runs.services import RunRefused, new_runs, queue_runs
from codeengine_ui.suites.models import Case

from .mapping import RowReader, automatic_mapping
from .models import JudgedBy, RowVerdict, TableRow, TableRun, TableSource
from .reading import Table, max_rows, read_table, table_from_objects

PREVIEW_ROWS = 20
# Rows queued at once: the first chunk as the table run starts (in the request), the
# others by a job of the workers, so a request never stores ten thousand runs.
QUEUE_CHUNK = 1000
QUEUE_PASS_SECONDS = 5.0
SHOWN_PROBLEMS = 200
UNSUCCESSFUL = OUTCOME_STATUSES[Outcome.UNSUCCESSFUL]


class TableRefused(RunRefused):
    """A table run that cannot start (or rows that cannot run again): `str()` says why."""


def _draft(function: Function, user, table: Table, source: str, **fields) -> TableRun:
    return TableRun.objects.create(
        function=function,
        function_label=function.label,
        version=function.version,
        created_by=user,
        source=source,
        columns=table.columns,
        cells=table.rows,
        lines=table.lines,
        mapping=automatic_mapping(function.parameters, table.columns),
        total_rows=len(table.rows),
        **fields,
    )


def draft_from_file(function: Function, user, name: str, content: bytes) -> TableRun:
    """A draft of the table in an uploaded file (TableUnreadable when it cannot be read)."""
    table, kind = read_table(name, content)
    return _draft(function, user, table, kind, source_name=name[:255])


def draft_from_rows(function: Function, user, rows: list[dict], name: str = "") -> TableRun:
    """A draft of rows given as objects of column values (the API)."""
    table = table_from_objects(rows)
    return _draft(function, user, table, TableSource.ROWS, source_name=name[:255])


def draft_from_dataset(
    function: Function, user, token: AccessToken, dataset_id: str, limit: int
) -> TableRun:
    """A draft of the DataSet's first `limit` rows, read with `token` as `user` (the token
    is decrypted only for someone who may use it now). DataSetReadError, TokenRefused or
    another client error when they cannot be read."""
    client = client_for(token, user)
    found = read_dataset_rows(client, dataset_id, limit=min(limit, max_rows()))
    entry = client.directory_entry("dataset", dataset_id)
    table = Table(columns=found.columns, rows=found.rows,
                  lines=list(range(1, len(found.rows) + 1)))  # fmt: skip
    return _draft(function, user, table, TableSource.DATASET, token=token,
                  dataset_id=dataset_id, source_name=(entry.name if entry else dataset_id)[:255],
                  more_rows=found.more)  # fmt: skip


def reader_for(table_run: TableRun, function: Function) -> RowReader:
    typed = table_run.source != TableSource.CSV
    return RowReader(function.parameters, table_run.columns, table_run.mapping, typed=typed)


@dataclass
class PreviewRow:
    number: int
    shown_line: int  # the file's line, where it tells more than the row number (else 0)
    values: list[Any]  # per input, what is sent (or None where the cell has a problem)
    problems: list[dict]


def _telling_line(source: str, number: int, line: int) -> int:
    expected = {TableSource.CSV: number + 1, TableSource.JSON_LINES: number}.get(source)
    return line if expected is not None and line != expected else 0


@dataclass
class Preview:
    inputs: list[str]
    rows: list[PreviewRow]
    problems: list[dict] = field(default_factory=list)  # {"row", "line", "input", ...}
    problem_count: int = 0
    valid: int = 0
    invalid: int = 0
    mapping_errors: dict[str, str] = field(default_factory=dict)


def preview(table_run: TableRun, function: Function) -> Preview:
    """Every row read by the mapping and checked by the type rules: the first rows as they
    will be sent, and every row's problems by row and column."""
    reader = reader_for(table_run, function)
    names = [parameter["name"] for parameter in function.parameters]
    result = Preview(inputs=names, rows=[], mapping_errors=reader.errors)
    for index, cells in enumerate(table_run.cells):
        inputs, problems = reader.read(cells)
        number, line = index + 1, table_run.lines[index] if index < len(table_run.lines) else 0
        if problems:
            result.invalid += 1
            result.problem_count += len(problems)
            room = SHOWN_PROBLEMS - len(result.problems)
            result.problems += [{"row": number, "line": line, **p} for p in problems[:room]]
        else:
            result.valid += 1
        if index < PREVIEW_ROWS:
            result.rows.append(
                PreviewRow(
                    number,
                    _telling_line(table_run.source, number, line),
                    [inputs.get(name) for name in names],
                    problems,
                )
            )
    return result


@dataclass
class Judging:
    judged_by: str = JudgedBy.NOTHING
    case: Case | None = None
    expect_column: str = ""
    expect_path: str = ""


def start_table_run(
    table_run: TableRun,
    user,
    token: AccessToken,
    *,
    only_valid: bool = False,
    judging: Judging | None = None,
    api_key=None,
    room=None,
) -> TableRun:
    """A run of the function for each row (each valid row, with `only_valid`), as `user`
    with `token`; `room`, a context manager taking the number of runs, bounds them (the
    API's runs in flight). TableRefused or RunRefused says why it did not start."""
    judging = judging or Judging()
    function = table_run.function
    if function is None:
        raise TableRefused("The function was deleted.")
    if not table_run.is_draft:
        raise TableRefused("This table run has already started.")
    reader = reader_for(table_run, function)
    if reader.errors:
        name, message = next(iter(reader.errors.items()))
        raise TableRefused(f"The mapping does not work for {name}: {message}")
    expected_index = _expected_column(table_run, judging)
    rows, valid = [], []
    for index, cells in enumerate(table_run.cells):
        inputs, problems = reader.read(cells)
        row = TableRow(
            number=index + 1,
            line=table_run.lines[index] if index < len(table_run.lines) else 0,
            input_variables=inputs,
            problems=problems,
            expected=cells[expected_index] if expected_index is not None else None,
        )
        rows.append(row)
        if not problems:
            valid.append(row)
    invalid = len(rows) - len(valid)
    if invalid and not only_valid:
        raise TableRefused(
            f"{invalid:,} row{'s do' if invalid != 1 else ' does'} not fit the function's inputs: "
            "fix the file, or run only the valid rows."
        )
    if not valid:
        raise TableRefused("No row fits the function's inputs, so nothing would run.")
    verdict = RowVerdict.PENDING if judging.judged_by else RowVerdict.NONE
    for row in rows:
        row.table_run = table_run
        row.verdict = RowVerdict.SKIPPED if row.problems else verdict
        row.waiting = not row.problems
    try:
        with transaction.atomic():
            table_run.started_at = timezone.now()
            table_run.token, table_run.api_key = token, api_key
            table_run.judged_by = judging.judged_by
            table_run.case = judging.case
            table_run.expect_column = judging.expect_column
            table_run.expect_path = judging.expect_path
            table_run.skipped_rows = invalid
            table_run.cells, table_run.lines = [], []
            table_run.save()
            TableRow.objects.bulk_create(rows, batch_size=2000)
            # The person's role and token are checked as the first rows are queued.
            if room is not None:
                with room(len(valid)):
                    _queue_next(table_run, user)
            else:
                _queue_next(table_run, user)
    except BaseException:
        table_run.refresh_from_db()  # a refusal leaves the draft as it was
        raise
    return table_run


def _queue_next(table_run: TableRun, user) -> int:
    """Queue the next QUEUE_CHUNK waiting rows of the table run as `user` (its role and
    the token checked now); how many."""
    rows = list(table_run.rows.filter(waiting=True).order_by("number")[:QUEUE_CHUNK])
    if not rows:
        return 0
    executions = new_runs(
        table_run.function,
        [row.input_variables for row in rows],
        table_run.token,
        user,
        RunSource.TABLE,
        version=table_run.version or None,
        api_key=table_run.api_key,
        batch_id=table_run.uuid,
    )
    with transaction.atomic():
        queue_runs(executions)
        for row, execution in zip(rows, executions, strict=True):
            row.execution_id, row.waiting, row.attempts = execution.pk, False, 1
        TableRow.objects.bulk_update(rows, ["execution", "waiting", "attempts"])
    return len(rows)


def queue_waiting_rows() -> int:
    """A job of the workers: queue the rows of started table runs that still wait, a chunk
    at a time, oldest table runs first, as the person who started each (whose role and
    token are checked at each chunk: a refusal ends that table run's waiting rows, saying
    why); how many were queued."""
    stop_at = time.monotonic() + QUEUE_PASS_SECONDS
    queued = 0
    waiting = (
        TableRow.objects.filter(waiting=True).values_list("table_run_id", flat=True).distinct()
    )
    for table_run in (
        TableRun.objects.filter(pk__in=list(waiting[:50]))
        .select_related("function", "token", "created_by", "api_key")
        .order_by("pk")
    ):
        while time.monotonic() < stop_at:
            try:
                if table_run.function is None or table_run.token is None:
                    raise TableRefused("its function or token was deleted.")
                if table_run.created_by is None:
                    raise TableRefused("the person who started it was deleted.")
                count = _queue_next(table_run, table_run.created_by)
            except RunRefused as refused:
                _give_up_waiting(table_run, str(refused))
                break
            queued += count
            if count < QUEUE_CHUNK:
                break
    return queued


def _give_up_waiting(table_run: TableRun, reason: str) -> None:
    problem = {"column": "", "input": "", "message": f"Its run could not start: {reason}"}
    with transaction.atomic():
        count = table_run.rows.filter(waiting=True).update(
            waiting=False, verdict=RowVerdict.SKIPPED, problems=[problem]
        )
        TableRun.objects.filter(pk=table_run.pk).update(skipped_rows=F("skipped_rows") + count)


def _expected_column(table_run: TableRun, judging: Judging) -> int | None:
    if judging.judged_by == JudgedBy.CASE:
        if judging.case is None or judging.case.function_id != table_run.function_id:
            raise TableRefused("Choose one of this function's test cases to judge the rows by.")
        return None
    if judging.judged_by != JudgedBy.COLUMN:
        return None
    if judging.expect_column not in table_run.columns:
        raise TableRefused(f"The table has no column “{judging.expect_column}” to compare with.")
    if judging.expect_path and not judging.expect_path.startswith("$"):
        raise TableRefused("Write the result's path as JSONPath, starting with $ (e.g. $.total).")
    return table_run.columns.index(judging.expect_column)


def run_failed_again(table_run: TableRun, user, *, number: int | None = None) -> int:
    """Run the failed rows again (or the one row `number`), as `user` with the table run's
    token, checked now; how many were queued."""
    rows = list(
        table_run.rows.select_related("execution")
        .filter(execution__status__in=UNSUCCESSFUL)
        .filter(**({"number": number} if number is not None else {}))
    )
    if not rows:
        raise TableRefused("No failed row to run again." if number is None else
                           f"Row {number} did not fail, so it is not run again.")  # fmt: skip
    function, token = table_run.function, table_run.token
    if function is None or token is None:
        raise TableRefused("The function or the token of this table run was deleted.")
    executions = new_runs(
        function,
        [row.input_variables for row in rows],
        token,
        user,
        RunSource.TABLE,
        version=table_run.version or None,
        batch_id=table_run.uuid,
    )
    verdict = RowVerdict.PENDING if table_run.judged_by else RowVerdict.NONE
    with transaction.atomic():
        queue_runs(executions)
        for row, execution in zip(rows, executions, strict=True):
            row.execution_id, row.verdict, row.unmet = execution.pk, verdict, []
            row.attempts += 1
        TableRow.objects.bulk_update(rows, ["execution", "verdict", "unmet", "attempts"])
        TableRun.objects.filter(pk=table_run.pk).update(finished_at=None)
    table_run.finished_at = None
    return len(rows)


@dataclass
class Progress:
    total: int
    skipped: int
    queued: int
    running: int
    succeeded: int
    failed: int
    judging: int
    verdicts: dict[str, int]
    elapsed_seconds: float
    finished: bool

    @property
    def ran(self) -> int:
        return self.total - self.skipped

    @property
    def done(self) -> int:
        return self.succeeded + self.failed

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.ran) if self.ran else 100

    @property
    def rate(self) -> float:
        """Rows finished per second so far."""
        return self.done / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0

    @property
    def seconds_left(self) -> float | None:
        left = self.ran - self.done
        if not left:
            return 0.0
        return left / self.rate if self.rate else None

    def as_dict(self) -> dict:
        return {"total": self.total, "skipped": self.skipped, "queued": self.queued,
                "running": self.running, "succeeded": self.succeeded, "failed": self.failed,
                "done": self.done, "verdicts": self.verdicts, "finished": self.finished,
                "rate_per_second": round(self.rate, 2),
                "seconds_left": None if self.seconds_left is None else round(self.seconds_left, 1),
                "elapsed_seconds": round(self.elapsed_seconds, 2)}  # fmt: skip


def progress_of(table_run: TableRun) -> Progress:
    """How the table run is going, in one query; it is marked finished once every row's
    run has ended and has its verdict."""
    counts = table_run.rows.aggregate(
        queued=Count("pk", filter=Q(execution__status=ExecutionStatus.QUEUED) | Q(waiting=True)),
        running=Count("pk", filter=Q(execution__status=ExecutionStatus.RUNNING)),
        succeeded=Count("pk", filter=Q(execution__status=ExecutionStatus.SUCCESS)),
        failed=Count("pk", filter=Q(execution__status__in=UNSUCCESSFUL)),
        lost=Count(
            "pk",
            filter=Q(execution__isnull=True, waiting=False) & ~Q(verdict=RowVerdict.SKIPPED),
        ),
        pending=Count("pk", filter=Q(verdict=RowVerdict.PENDING)),
        passed=Count("pk", filter=Q(verdict=RowVerdict.PASS)),
        unmet=Count("pk", filter=Q(verdict=RowVerdict.FAIL)),
        errors=Count("pk", filter=Q(verdict=RowVerdict.ERROR)),
    )
    in_flight = counts["queued"] + counts["running"]
    ended = not in_flight and not counts["pending"]
    if ended and not table_run.is_finished and not table_run.is_draft:
        now = timezone.now()
        TableRun.objects.filter(pk=table_run.pk, finished_at__isnull=True).update(finished_at=now)
        table_run.finished_at = now
    end = table_run.finished_at or timezone.now()
    elapsed = (end - table_run.started_at).total_seconds() if table_run.started_at else 0.0
    return Progress(
        total=table_run.total_rows,
        skipped=table_run.skipped_rows,
        queued=counts["queued"],
        running=counts["running"],
        succeeded=counts["succeeded"],
        failed=counts["failed"] + counts["lost"],
        judging=counts["pending"] if not in_flight else 0,
        verdicts={
            "pass": counts["passed"],
            "fail": counts["unmet"],
            "error": counts["errors"],
            "pending": counts["pending"],
        },
        elapsed_seconds=elapsed,
        finished=table_run.is_finished,
    )


STATUS_FILTERS = {
    "succeeded": Q(execution__status=ExecutionStatus.SUCCESS),
    "failed": Q(execution__status__in=UNSUCCESSFUL),
    "running": Q(execution__status__in=IN_PROGRESS_STATUSES) | Q(waiting=True),
    "skipped": Q(verdict=RowVerdict.SKIPPED),
}
VERDICT_FILTERS = ("pass", "fail", "error", "pending")


def filtered_rows(table_run: TableRun, status: str = "", verdict: str = ""):
    rows = table_run.rows.select_related("execution").order_by("number")
    if status in STATUS_FILTERS:
        rows = rows.filter(STATUS_FILTERS[status])
    if verdict in VERDICT_FILTERS:
        rows = rows.filter(verdict=verdict)
    return rows


def forget_old_drafts() -> int:
    """Tables read but never run, past TABLE_DRAFT_HOURS: their cells are let go (a job
    of the workers); how many."""
    cutoff = timezone.now() - timedelta(hours=settings.TABLE_DRAFT_HOURS)
    deleted, _ = TableRun.objects.filter(started_at__isnull=True, created_at__lt=cutoff).delete()
    return deleted
