"""Judging a table run's rows: by a test case's expectations, or by an expected-result
column (the whole result, or the value at a JSONPath, equals the cell).

The expectations are written by users, so they are checked in a worker's job
(settings.RUN_WORKER_JOBS), never while a page renders: each row once, as soon as its run
ends, with the suites' own checks and deadlines. A pass stops after PASS_SECONDS and the
next one goes on, so one large table never holds the job for long.
"""

import contextlib
import logging
import re
import time
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db.models import Q

from codeengine_ui.parameters.types import Invalid, parse_json_exactly
from codeengine_ui.runs.models import IN_PROGRESS_STATUSES, Execution
from codeengine_ui.suites.expectations import RunFacts, unmet
from codeengine_ui.suites.judging import verdict_of

from .models import JudgedBy, RowVerdict, TableRow, TableRun

logger = logging.getLogger(__name__)

ROWS_PER_QUERY = 500
PASS_SECONDS = 5.0


def judge_finished_rows() -> int:
    """Give a verdict to the rows whose runs have ended; how many were judged."""
    stop_at = time.monotonic() + PASS_SECONDS
    judged = 0
    ready = Q(verdict=RowVerdict.PENDING, waiting=False) & (
        Q(execution__isnull=True) | ~Q(execution__status__in=IN_PROGRESS_STATUSES)
    )
    while time.monotonic() < stop_at:
        rows = list(
            TableRow.objects.filter(ready)
            .select_related("execution", "table_run__case__function")
            .order_by("table_run_id", "number")[:ROWS_PER_QUERY]
        )
        if not rows:
            break
        for row in rows:
            try:
                row.verdict, row.unmet = verdict_of_row(row)
            except Exception as error:
                logger.exception("Table row %s could not be judged", row.pk)
                row.verdict = RowVerdict.ERROR
                row.unmet = [{"message": f"It could not be judged ({type(error).__name__})."}]
            TableRow.objects.filter(pk=row.pk, verdict=RowVerdict.PENDING).update(
                verdict=row.verdict, unmet=row.unmet
            )
            judged += 1
            if time.monotonic() > stop_at:
                break
    return judged


def verdict_of_row(row: TableRow) -> tuple[str, list[dict]]:
    table_run: TableRun = row.table_run
    execution = row.execution
    if execution is None:
        return RowVerdict.ERROR, [{"message": "Its run was deleted."}]
    if table_run.judged_by == JudgedBy.CASE:
        return verdict_of(table_run.case, execution)
    return _compared(table_run, row, execution)


def _compared(table_run: TableRun, row: TableRow, execution: Execution) -> tuple[str, list]:
    if not execution.has_result:
        message = execution.error_message or execution.status_explanation
        return RowVerdict.ERROR, [{"message": f"No result to compare: {message}"}]
    path = table_run.expect_path or "$"
    facts = RunFacts(status=execution.status, result=execution.result, stdout=[], stderr=[],
                     duration_ms=None)  # fmt: skip
    failure = None
    for wanted in _readings(row.expected):
        expectation = {"kind": "path", "path": path, "equals": wanted}
        failures = unmet([expectation], facts, seconds=settings.EXPECTATION_CHECK_SECONDS)
        if not failures:
            return RowVerdict.PASS, []
        failure = failure or failures[0]  # told in the cell's first (likeliest) meaning
    return RowVerdict.FAIL, [{
        "expectation": failure.expectation,
        "message": f"Column “{table_run.expect_column}”: {failure.message}",
        "found": failure.found,
    }]  # fmt: skip


_NUMBER = re.compile(r"\s*[-+]?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?\s*")


def _readings(cell: Any) -> list[Any]:
    """What an expected cell may mean: a CSV's text is compared as JSON (42, true,
    {"a": 1}), as a number however a spreadsheet wrote it (3.0, 03 and 3 are all 3), and
    as the text itself; an empty cell as null or empty text; a typed cell as it is."""
    if not isinstance(cell, str):
        return [cell]
    if not cell.strip():
        return [None, cell]
    readings = []
    with contextlib.suppress(Invalid):
        readings.append(parse_json_exactly(cell))
    if _NUMBER.fullmatch(cell):
        try:
            number = Decimal(cell.strip())
        except InvalidOperation:
            number = None
        if number is not None and abs(number.adjusted()) < 300:  # a float holds it
            whole = number == number.to_integral_value()
            readings.append(int(number) if whole else float(number))
    readings.append(cell)
    return readings
