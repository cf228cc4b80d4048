"""The team's history of runs: filtering, keyset pages and streamed exports.

Pages go newest first by id and continue below the last id seen (keyset), so page 500
costs what page 1 costs; every filter has an index ending in id. Listing never loads the
large columns (result, logs, errorInformation).
"""

import csv
import io
import re
from collections.abc import Iterator
from itertools import batched

from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.text import Truncator

from codeengine_ui.catalog.models import UsableTokens
from codeengine_ui.json_text import compact, one_line
from codeengine_ui.keyset import every_row_newest_first

from .models import Execution
from .names import names_as_text, names_for, shown

PAGE_SIZE = 50
EXPORT_BATCH = 1000
LARGE_COLUMNS = ("result", "stdout_log", "stderr_log", "error_information")


def history_queryset() -> QuerySet:
    return Execution.objects.select_related("function", "requested_by").defer(*LARGE_COLUMNS)


def search(executions: QuerySet, text: str) -> QuerySet:
    """Runs whose function name, display name or inputs contain `text` (any case)."""
    return executions.annotate(inputs_text=Cast("input_variables", TextField())).filter(
        Q(function_name__icontains=text)
        | Q(function__display_name__icontains=text)
        | Q(inputs_text__icontains=text)
    )


def key_input_labels(execution: Execution, names: dict | None = None) -> list[tuple[str, str, str]]:
    """(input, value shortened, value) for the function's key inputs: what tells its runs
    apart; people, groups, DataSets and accounts are shown by name when the name is kept
    (`names`, from names.names_for)."""
    if execution.function is None:
        return []
    labels = []
    for name in execution.function.key_inputs or []:
        value = (execution.input_variables or {}).get(name)
        text = value if isinstance(value, str) else one_line(value)
        if names:
            text = shown(execution, name, text, names)
        labels.append((name, Truncator(text).chars(48), text))
    return labels


EXPORT_COLUMNS = [
    "id", "queued_at", "status", "function_name", "instance", "package_id", "version",
    "requested_by", "source", "api_key", "token_label", "get_logs", "duration_ms", "http_status",
    "domo_execution_id", "error_message", "input_variables", "input_names", "result",
    "error_information",
]  # fmt: skip


def _with_names(executions: QuerySet, tokens: UsableTokens) -> Iterator[tuple[Execution, dict]]:
    """Each run with the names kept for its inputs that the reader may see (read with a
    token in `tokens`), read once per batch of runs."""
    for batch in batched(
        every_row_newest_first(executions, EXPORT_BATCH), EXPORT_BATCH, strict=False
    ):
        names = names_for(batch, tokens)
        for execution in batch:
            yield execution, names_as_text(execution, names)


def _export_record(execution: Execution, named: dict) -> dict:
    return {
        "id": execution.pk,
        "queued_at": execution.queued_at.isoformat(),
        "status": execution.status,
        "function_name": execution.function_name,
        "instance": execution.instance_name,
        "package_id": execution.package_id,
        "version": execution.version,
        "requested_by": execution.requested_by.get_username() if execution.requested_by else "",
        "source": execution.source,
        "api_key": execution.api_key_name,
        "token_label": execution.token_label,
        "get_logs": execution.get_logs,
        "duration_ms": round(execution.duration.total_seconds() * 1000)
        if execution.duration is not None
        else None,
        "http_status": execution.http_status,
        "domo_execution_id": execution.domo_execution_id,
        "error_message": execution.error_message,
        "input_variables": execution.input_variables,
        "input_names": named,
    }


# A spreadsheet runs a cell starting with one of these as a formula (OWASP, CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# ...but a cell that is only a number (-1.5) is read as that number, never run.
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")


def spreadsheet_safe(value):
    """Text a spreadsheet would run as a formula, prefixed with ' so it stays text."""
    if (
        isinstance(value, str)
        and value.startswith(_FORMULA_STARTS)
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def csv_lines(executions: QuerySet, tokens: UsableTokens) -> Iterator[str]:
    """The runs as CSV for a spreadsheet, each result as compact JSON (empty without one):
    every text cell that could start a formula is neutralised (the JSON Lines export stays
    exact)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS)
    writer.writeheader()
    with_results = executions.defer(None).defer("stdout_log", "stderr_log")
    for execution, named in _with_names(with_results, tokens):
        record = _export_record(execution, named)
        record["input_variables"] = one_line(record["input_variables"])
        record["input_names"] = one_line(named) if named else ""
        for column in ("result", "error_information"):
            value = getattr(execution, column)
            record[column] = "" if value is None else compact(value)
        writer.writerow({key: spreadsheet_safe(value) for key, value in record.items()})
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def json_lines(executions: QuerySet, tokens: UsableTokens) -> Iterator[str]:
    """One JSON object per run, with its result, logs and errorInformation."""
    for execution, named in _with_names(executions.defer(None), tokens):
        record = _export_record(execution, named)
        record.update(
            result=execution.result,
            stdout=execution.stdout_log,
            stderr=execution.stderr_log,
            error_information=execution.error_information,
        )
        yield one_line(record) + "\n"


EXPORT_FORMATS = {
    "csv": (csv_lines, "text/csv; charset=utf-8"),
    "jsonl": (json_lines, "application/x-ndjson; charset=utf-8"),
}


def export_response(
    executions: QuerySet, file_format: str, tokens: UsableTokens
) -> StreamingHttpResponse:
    """The runs as a download, streamed: `file_format` is one of EXPORT_FORMATS; names are
    those read with `tokens` (the ones the reader may use)."""
    lines, content_type = EXPORT_FORMATS[file_format]
    response = StreamingHttpResponse(lines(executions, tokens), content_type=content_type)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="executions-{stamp}.{file_format}"'
    return response
