"""A table run's results as a download: CSV for a spreadsheet (a column per input, text a
spreadsheet would run as a formula neutralised) or JSON Lines (exact), streamed."""

import csv
import io
from collections.abc import Iterator

from django.http import StreamingHttpResponse
from django.utils import timezone

from codeengine_ui.json_text import compact, one_line
from codeengine_ui.runs.history import spreadsheet_safe

from .models import TableRow, TableRun

CHUNK_ROWS = 500


def _record(row: TableRow) -> dict:
    execution = row.execution
    return {
        "row": row.number,
        "line": row.line,
        "inputs": row.input_variables,
        "status": execution.status if execution else ("waiting" if row.waiting else "not run"),
        "run": execution.pk if execution else None,
        "result": execution.result if execution and execution.has_result else None,
        "error": (execution.error_message if execution else "")
        or "; ".join(f"{p['column']}: {p['message']}" for p in row.problems),
        "verdict": row.verdict,
        "unmet": "; ".join(str(u.get("message", "")) for u in row.unmet),
    }


def _rows(rows) -> Iterator[TableRow]:
    return rows.select_related("execution").iterator(chunk_size=CHUNK_ROWS)


def csv_lines(table_run: TableRun, rows) -> Iterator[str]:
    names = list(table_run.mapping)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["row", "line", *names, "status", "run", "result", "error", "verdict",
                     "unmet"])  # fmt: skip
    for row in _rows(rows):
        record = _record(row)
        inputs = record["inputs"]
        cells = [
            "" if inputs.get(name) is None else
            inputs[name] if isinstance(inputs[name], str) else compact(inputs[name])
            for name in names
        ]  # fmt: skip
        result = "" if record["result"] is None else compact(record["result"])
        writer.writerow([spreadsheet_safe(cell) for cell in [
            record["row"], record["line"], *cells, record["status"], record["run"] or "",
            result, record["error"], record["verdict"], record["unmet"]]])  # fmt: skip
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def json_lines(table_run: TableRun, rows) -> Iterator[str]:
    for row in _rows(rows):
        yield one_line(_record(row)) + "\n"


FORMATS = {
    "csv": (csv_lines, "text/csv; charset=utf-8"),
    "jsonl": (json_lines, "application/x-ndjson; charset=utf-8"),
}


def export_response(table_run: TableRun, rows, file_format: str) -> StreamingHttpResponse:
    lines, content_type = FORMATS[file_format]
    response = StreamingHttpResponse(lines(table_run, rows), content_type=content_type)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    name = f"table-run-{table_run.pk}-{stamp}.{file_format}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
