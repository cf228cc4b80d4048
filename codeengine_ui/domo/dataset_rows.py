"""A DataSet's rows, read through Domo's query API, for a run over a table.

`POST /api/query/v1/execute/{datasetId}` with `{"sql": "SELECT * FROM table LIMIT n OFFSET
m"}` answers `{columns, metadata, rows}`. The rows are read a page at a time up to a
limit, and every way the answer can go wrong (not JSON, another shape, rows of another
width, 403, 404, 429, a DataSet Domo has not indexed yet) ends in a `DataSetReadError`
whose message says what happened, in words.
"""

from dataclasses import dataclass, field
from typing import Any, Protocol

from .errors import (
    CodeEngineError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RequestRefusedError,
    says_already,
)

PAGE_ROWS = 5000
MAX_COLUMNS = 500


class DataSetReadError(CodeEngineError):
    """The DataSet's rows could not be read; `str()` says why."""

    code = "dataset_unreadable"


class _Queries(Protocol):
    def query_dataset(self, dataset_id: str, sql: str) -> Any: ...


@dataclass
class DataSetRows:
    """Column names, their Domo types (STRING, LONG, DECIMAL, DATE…, "" when not said) and
    the rows, each a list as wide as the columns; `more` when the DataSet has rows past
    the limit."""

    columns: list[str]
    types: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    more: bool = False


def read_dataset_rows(client: _Queries, dataset_id: str, *, limit: int) -> DataSetRows:
    """Up to `limit` rows of the DataSet, in its order, a page at a time."""
    found: DataSetRows | None = None
    offset = 0
    while True:
        size = min(PAGE_ROWS, limit + 1 - offset)  # one more than asked: are there more?
        page = _page(client, dataset_id, size, offset)
        if found is None:
            found = page
        elif page.columns != found.columns:
            raise DataSetReadError(
                "The DataSet's columns changed while its rows were read: read it again."
            )
        else:
            found.rows += page.rows
        offset += len(page.rows)
        if len(page.rows) < size or offset > limit:
            break
    found.more = len(found.rows) > limit
    del found.rows[limit:]
    return found


def _page(client: _Queries, dataset_id: str, size: int, offset: int) -> DataSetRows:
    sql = f"SELECT * FROM table LIMIT {int(size)} OFFSET {int(offset)}"  # noqa: S608 (numbers)
    try:
        answer = client.query_dataset(dataset_id, sql)
    except DataSetReadError:
        raise
    except CodeEngineError as error:
        raise _in_dataset_words(error) from None
    return _rows_of(answer)


def _rows_of(answer: Any) -> DataSetRows:
    if not isinstance(answer, dict):
        raise DataSetReadError(
            "Domo answered the DataSet query with something other than an object of columns "
            "and rows."
        )
    columns, rows = answer.get("columns"), answer.get("rows")
    if not isinstance(columns, list) or not all(isinstance(name, str) for name in columns):
        raise DataSetReadError("Domo's answer to the DataSet query has no list of column names.")
    if len(columns) > MAX_COLUMNS:
        raise DataSetReadError(
            f"The DataSet has {len(columns):,} columns; a table run reads up to {MAX_COLUMNS}."
        )
    if not isinstance(rows, list):
        raise DataSetReadError("Domo's answer to the DataSet query has no list of rows.")
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, list) or len(row) != len(columns):
            raise DataSetReadError(
                f"Row {number} of Domo's answer is not a list of {len(columns)} values, one "
                "per column."
            )
    return DataSetRows(columns=list(columns), types=_types(answer.get("metadata"), len(columns)),
                       rows=rows)  # fmt: skip


def _types(metadata: Any, width: int) -> list[str]:
    types = []
    for index in range(width):
        entry = metadata[index] if isinstance(metadata, list) and index < len(metadata) else None
        kind = entry.get("type") if isinstance(entry, dict) else None
        types.append(kind[:20] if isinstance(kind, str) else "")
    return types


def _in_dataset_words(error: CodeEngineError) -> CodeEngineError:
    """The client's error, said of a DataSet rather than of a function."""
    detail = error.detail
    options = {"http_status": error.http_status, "detail": detail, "trace_id": error.trace_id}
    if isinstance(error, PermissionDeniedError):
        message = (
            "Access denied (HTTP 403): the token's owner may not read this DataSet. Share it "
            "with them in Domo, or choose another token."
        )
    elif isinstance(error, NotFoundError):
        message = "The instance has no DataSet with this id (HTTP 404), or it was deleted."
    elif isinstance(error, RateLimitedError):
        wait = f" Try again in {error.retry_after:g} s." if error.retry_after else ""
        message = "Domo is limiting the rate of queries (HTTP 429), so no rows were read." + wait
    elif "indexed schema" in detail.lower():
        message = (
            "Domo has no indexed schema for this DataSet yet, so it cannot be queried: it may "
            "be new, empty or still being indexed. Try again later, or run its DataFlow."
        )
        return DataSetReadError(message, **options)
    elif isinstance(error, RequestRefusedError):
        message = f"Domo refused the DataSet query (HTTP {error.http_status})."
    else:  # a token refused, a connection, a time limit, a reply not JSON: said in words
        return DataSetReadError(f"The DataSet's rows could not be read: {error}", **options)
    if detail and not says_already(message, detail):
        message += f' Domo said: "{detail}".'
    return DataSetReadError(message, **options)
