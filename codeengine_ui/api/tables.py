"""Runs over a table through the API: start one from rows or a file's text (CSV or JSON
Lines) with a mapping and options, follow its progress, page through or export its rows,
and run its failed rows again. `tables.services` does the work, as for the page."""

from typing import Any

from django.conf import settings
from django.db import transaction
from ninja import File, Form, Query, Router, Schema, Status, UploadedFile
from pydantic import Field
from pydantic import ValidationError as PydanticError

from codeengine_ui.json_text import loads
from codeengine_ui.runs.services import InputsDoNotFit, RunNotAllowed, RunRefused
from codeengine_ui.suites.models import Case
from codeengine_ui.tables import exports
from codeengine_ui.tables.mapping import COLUMN, DEFAULT, VALUE
from codeengine_ui.tables.models import JudgedBy, TableRow, TableRun
from codeengine_ui.tables.reading import TableUnreadable
from codeengine_ui.tables.services import (
    SHOWN_PROBLEMS,
    STATUS_FILTERS,
    VERDICT_FILTERS,
    Judging,
    TableRefused,
    draft_from_file,
    draft_from_rows,
    filtered_rows,
    preview,
    progress_of,
    run_failed_again,
    start_table_run,
)
from codeengine_ui.uploads import upload_refused

from .functions import function_named, inputs_problem
from .limits import room_for_runs
from .problems import Problem
from .runs import _refused, _token

router = Router(tags=["table runs"])


class TableFile(Schema):
    name: str = Field(description="Its name: .csv, .tsv, .jsonl or .ndjson says its kind.")
    content: str = Field(description="The file's text (UTF-8).")


class TableRunIn(Schema):
    function: int | str
    rows: list[dict[str, Any]] | None = Field(None, description="Rows as objects of columns.")
    file: TableFile | None = Field(None, description="Or a CSV or JSON Lines file's text.")
    mapping: dict[str, Any] = Field(
        default_factory=dict,
        description='Per input: a column name, or {"column": …}, {"value": …}, '
        '{"default": true}; inputs left out take the column of their name (any case).',
    )
    token: int | None = None
    only_valid: bool = Field(False, description="Run the rows that fit; skip the others.")
    case: int | None = Field(None, description="Judge each row by this test case.")
    expect_column: str = Field("", description="Or compare each result with this column.")
    expect_path: str = Field("", description="…at this JSONPath of the result ($.total).")


def _record(table_run: TableRun) -> dict:
    return {
        "id": table_run.pk,
        "url": f"/table-runs/{table_run.pk}/",
        "batch_id": str(table_run.uuid),
        "function": {"id": table_run.function_id, "name": table_run.function_label},
        "version": table_run.version,
        "source": table_run.source,
        "source_name": table_run.source_name,
        "started_by": str(table_run.created_by) if table_run.created_by else None,
        "judged_by": table_run.judged_by,
        "progress": progress_of(table_run).as_dict(),
    }


def _mapping(given: dict[str, Any]) -> dict[str, dict]:
    mapping = {}
    for name, choice in given.items():
        if isinstance(choice, str):
            choice = {COLUMN: choice}
        if not isinstance(choice, dict) or len(choice.keys() & {COLUMN, VALUE, DEFAULT}) != 1:
            raise Problem(422, "bad_mapping", f'Map {name} to a column name, {{"column": …}}, '
                          '{"value": …} or {"default": true}.')  # fmt: skip
        mapping[name] = choice
    return mapping


@router.post("/table-runs", response={201: dict}, summary="Run a function over a table")
def start(request, body: TableRunIn):
    """Each row becomes a run (source "Table"), all checked first: rows that do not fit
    refuse the table (or are skipped, with `only_valid`), each problem by row and column."""
    if (body.rows is None) == (body.file is None):
        raise Problem(422, "no_table", "Send either `rows` or a `file`.")
    if body.file is not None:
        name, content = body.file.name, body.file.content.encode()
        return _started(request, body, lambda f: draft_from_file(f, request.user, name, content))
    return _started(request, body, lambda f: draft_from_rows(f, request.user, body.rows or []))


@router.post("/table-runs/upload", response={201: dict},
             summary="Run a function over an uploaded file")  # fmt: skip
def upload(request, file: File[UploadedFile] = None, options: Form[str] = "{}"):
    """multipart/form-data: `file`, a CSV or JSON Lines file (up to MAX_UPLOAD_BYTES), and
    `options`, the JSON object POST /table-runs takes, without `rows` or `file`."""
    limit = settings.MAX_UPLOAD_BYTES
    if upload_refused(request) or (file is not None and file.size > limit):
        raise Problem(413, "request_too_large", f"The file is over {limit:,} bytes "
                      "(MAX_UPLOAD_BYTES).")  # fmt: skip
    if file is None:
        raise Problem(422, "no_table", "Send the table as the multipart field `file`.")
    try:
        given = loads(options)
    except (ValueError, RecursionError) as error:
        raise Problem(400, "invalid_json", f"`options` is not JSON: {error}.") from None
    if not isinstance(given, dict) or {"rows", "file"} & given.keys():
        raise Problem(422, "invalid_request", "`options` is an object, without rows or file.")
    try:
        body = TableRunIn.model_validate(given)
    except PydanticError as error:
        errors = [{"path": ".".join(map(str, e["loc"])), "message": e["msg"]}
                  for e in error.errors()]  # fmt: skip
        raise Problem(422, "invalid_request", "`options` does not have the expected shape.",
                      errors=errors) from None  # fmt: skip
    name, content = file.name or "table.csv", file.read()
    return _started(request, body, lambda f: draft_from_file(f, request.user, name, content))


def _started(request, body: TableRunIn, make_draft) -> Status:
    """Read the table (`make_draft(function)`), check every row, start the runs; nothing
    is kept when it does not start."""
    function = function_named(str(body.function), request.user)
    token = _token(request, function, body.token)
    judging = _judging(body, function)
    with transaction.atomic():
        try:
            draft = make_draft(function)
        except TableUnreadable as error:
            raise Problem(422, "table_unreadable", str(error)) from None
        draft.mapping = {**draft.mapping, **_mapping(body.mapping)}
        draft.save(update_fields=["mapping"])
        checked = preview(draft, function)
        if checked.mapping_errors:  # leaving the transaction by an error drops the draft
            raise Problem(422, "bad_mapping", "The mapping does not work: see errors.",
                          errors=[{"path": name, "message": message}
                                  for name, message in checked.mapping_errors.items()])  # fmt: skip
        if checked.invalid and not body.only_valid:
            raise _rows_problem(checked, from_file=body.rows is None)
        try:
            start_table_run(draft, request.user, token, only_valid=body.only_valid,
                            judging=judging, api_key=request.api_key,
                            room=lambda count: room_for_runs(request, count))  # fmt: skip
        except RunNotAllowed as refusal:
            raise _refused(refusal) from None
        except InputsDoNotFit as misfit:
            raise inputs_problem(misfit.problems) from None
        except RunRefused as refused:
            raise Problem(422, "table_refused", str(refused)) from None
    return Status(201, _record(draft))


def _judging(body: TableRunIn, function) -> Judging:
    if body.case is not None:
        case = Case.objects.filter(pk=body.case, function=function).first()
        if case is None:
            raise Problem(422, "case_not_found", f"The function has no test case {body.case}.")
        return Judging(judged_by=JudgedBy.CASE, case=case)
    if body.expect_column:
        return Judging(judged_by=JudgedBy.COLUMN, expect_column=body.expect_column,
                       expect_path=body.expect_path.strip())  # fmt: skip
    return Judging()


def _rows_problem(checked, *, from_file: bool) -> Problem:
    """Each problem by row and column; its path names the row in the rows sent, or the line
    of the file sent."""

    def path(p: dict) -> str:
        if from_file:
            return f"line {p['line']}, column {p['column']}"
        return f"rows[{p['row'] - 1}].{p['input']}"

    return Problem(
        422,
        "rows_do_not_fit",
        f"{checked.invalid:,} of {checked.invalid + checked.valid:,} rows do not fit the "
        "function's inputs: see errors (send only_valid to run the others).",
        errors=[{"row": p["row"], "line": p["line"], "column": p["column"],
                 "path": path(p), "message": p["message"]}
                for p in checked.problems[:SHOWN_PROBLEMS]],
        problem_count=checked.problem_count,
    )  # fmt: skip


def _table_run(table_run_id: int) -> TableRun:
    table_run = TableRun.objects.filter(pk=table_run_id, started_at__isnull=False).first()
    if table_run is None:
        raise Problem(404, "table_run_not_found", f"No table run has the id {table_run_id}.")
    return table_run


@router.get("/table-runs/{table_run_id}", response=dict, summary="How a table run is going")
def get_table_run(request, table_run_id: int):
    return _record(_table_run(table_run_id))


class RowsQuery(Schema):
    status: str = Field("", description=", ".join(STATUS_FILTERS))
    verdict: str = Field("", description=", ".join(VERDICT_FILTERS))
    cursor: int = Field(0, ge=0, description="The `next_cursor` of the previous page.")
    limit: int = Field(200, ge=1, le=1000)


def _row(row: TableRow) -> dict:
    execution = row.execution
    return {
        "row": row.number,
        "line": row.line,
        "inputs": row.input_variables,
        "problems": row.problems,
        "run": execution.pk if execution else None,
        "status": execution.status if execution else ("waiting" if row.waiting else "not run"),
        "finished": bool(execution and execution.is_finished),
        "result": execution.result if execution and execution.has_result else None,
        "error": execution.error_message if execution else "",
        "verdict": row.verdict,
        "unmet": row.unmet,
        "attempts": row.attempts,
    }


@router.get("/table-runs/{table_run_id}/rows", response=dict, summary="A table run's rows")
def list_rows(request, table_run_id: int, query: Query[RowsQuery]):
    table_run = _table_run(table_run_id)
    rows = filtered_rows(table_run, query.status, query.verdict).filter(number__gt=query.cursor)
    page = list(rows[: query.limit + 1])
    more = len(page) > query.limit
    page = page[: query.limit]
    return {"rows": [_row(row) for row in page],
            "next_cursor": page[-1].number if more else None}  # fmt: skip


@router.get("/table-runs/{table_run_id}/rows.{file_format}", summary="Export a table run's rows")
def export(request, table_run_id: int, file_format: str, query: Query[RowsQuery]):
    if file_format not in exports.FORMATS:
        raise Problem(404, "unknown_format", "Export as .csv or .jsonl.")
    table_run = _table_run(table_run_id)
    rows = filtered_rows(table_run, query.status, query.verdict)
    return exports.export_response(table_run, rows, file_format)


@router.post("/table-runs/{table_run_id}/again", response={201: dict},
             summary="Run the failed rows again")  # fmt: skip
def again(request, table_run_id: int, row: int | None = None):
    table_run = _table_run(table_run_id)
    try:
        failed = filtered_rows(table_run, "failed").count() if row is None else 1
        with room_for_runs(request, failed):
            count = run_failed_again(table_run, request.user, number=row)
    except RunNotAllowed as refusal:
        raise _refused(refusal) from None
    except TableRefused as refused:
        raise Problem(422, "nothing_to_run_again", str(refused)) from None
    return Status(201, {"queued": count, **_record(table_run)})
