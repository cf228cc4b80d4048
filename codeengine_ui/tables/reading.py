"""Reading a table from a file: CSV or JSON Lines, UTF-8 with or without a BOM.

A CSV's first row names the columns; cells are kept as the text they are (quoted cells
keep their line breaks as written, CRLF included), and a file separated by semicolons or
tabs (as spreadsheets save them in many countries) is read as such. A JSON Lines file
has one JSON object per line, its keys the columns; numbers keep their digits. Anything
malformed is a `TableUnreadable` that names the line, and a table is bounded: at most
`TABLE_MAX_ROWS` rows and `MAX_COLUMNS` columns.
"""

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from codeengine_ui.domo.exact_json import exact_loads
from codeengine_ui.json_text import NotStandardJSON

MAX_COLUMNS = 500
MAX_COLUMN_NAME = 200
_DELIMITERS = (",", ";", "\t")


class TableUnreadable(ValueError):
    """The file cannot be read as a table; `str()` says where and why."""


@dataclass
class Table:
    """Column names, and each row's cells (as wide as the columns) with its first line."""

    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)


def max_rows() -> int:
    return settings.TABLE_MAX_ROWS


def read_table(name: str, content: bytes) -> tuple[Table, str]:
    """The table in an uploaded file, and its kind ("csv" or "jsonl"), told by its name
    (.jsonl, .ndjson) or else by its first character."""
    text = _text(content)
    lowered = name.lower()
    if lowered.endswith((".jsonl", ".ndjson", ".jsonlines")):
        return read_json_lines(text), "jsonl"
    if lowered.endswith(".csv") or lowered.endswith(".tsv"):
        return read_csv(text), "csv"
    return (read_json_lines(text), "jsonl") if text.lstrip().startswith("{") else (
        read_csv(text), "csv")  # fmt: skip


def _text(content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise TableUnreadable(
            "The file is UTF-16 text: save it as UTF-8 (with or without a BOM) and upload it again."
        )
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content.count(b"\n", 0, error.start) + 1
        byte = content[error.start : error.start + 1].hex().upper()
        raise TableUnreadable(
            f"Line {line} has a byte (0x{byte}) that UTF-8 text does not use: the file is in "
            "another encoding (Windows-1252, Latin-1…). Save it as UTF-8 and upload it again."
        ) from None


def read_csv(text: str) -> Table:
    if not text.strip():
        raise TableUnreadable("The file is empty: a CSV needs a header row naming its columns.")
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise TableUnreadable(f"Line {line} holds a null character: this is not a text file.")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    limit = max_rows()
    try:
        header = next(reader)
        table = Table(columns=_columns(header, "The header row"))
        previous_end = reader.line_num
        for cells in reader:
            line, previous_end = previous_end + 1, reader.line_num
            if not cells:
                continue  # a blank line
            if len(cells) != len(table.columns):
                raise TableUnreadable(
                    f"Line {line} has {len(cells)} cell{'s' if len(cells) != 1 else ''}, but "
                    f"the header names {len(table.columns)} columns. A cell holding the "
                    'separator or a line break must be quoted ("…").'
                )
            if len(table.rows) == limit:
                raise _too_many(limit)
            table.rows.append(cells)
            table.lines.append(line)
    except csv.Error as error:
        raise TableUnreadable(f"Line {reader.line_num} is not valid CSV: {error}.") from None
    return table


def _delimiter(text: str) -> str:
    """The separator the header row uses most: a comma, a semicolon or a tab."""
    header = text.split("\n", 1)[0]
    counts = {delimiter: header.count(delimiter) for delimiter in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _columns(names: list[str], where: str) -> list[str]:
    if len(names) > MAX_COLUMNS:
        raise TableUnreadable(f"{where} names {len(names):,} columns; a table has up to "
                              f"{MAX_COLUMNS}.")  # fmt: skip
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        if not name.strip():
            raise TableUnreadable(f"{where} leaves column {position} without a name.")
        if len(name) > MAX_COLUMN_NAME:
            raise TableUnreadable(
                f"{where} names column {position} with {len(name):,} characters; a column "
                f"name has up to {MAX_COLUMN_NAME}."
            )
        if name in seen:
            raise TableUnreadable(
                f"{where} names two columns “{name}” (columns {seen[name]} and {position})."
            )
        seen[name] = position
    return list(names)


def _too_many(limit: int) -> TableUnreadable:
    return TableUnreadable(
        f"The table has more than {limit:,} rows (TABLE_MAX_ROWS): split it, or run its first "
        f"{limit:,} rows."
    )


def read_json_lines(text: str) -> Table:
    objects, lines = [], []
    limit = max_rows()
    # Lines end at \n (or \r\n) only: U+2028 and the other breaks str.splitlines() knows
    # are text inside a JSON string.
    for line, source in enumerate(text.split("\n"), start=1):
        source = source.removesuffix("\r")
        if not source.strip():
            continue
        try:
            value = exact_loads(source)
        except json.JSONDecodeError as error:
            raise TableUnreadable(
                f"Line {line} is not JSON: {error.msg} (column {error.colno})."
            ) from None
        except (NotStandardJSON, RecursionError, ValueError) as error:
            raise TableUnreadable(f"Line {line} is not JSON: {error}.") from None
        if not isinstance(value, dict):
            kind = "a list" if isinstance(value, list) else "not an object"
            raise TableUnreadable(
                f"Line {line} is {kind}: each line holds one JSON object of column values, "
                'such as {"name": "Ada"}.'
            )
        if len(objects) == limit:
            raise _too_many(limit)
        objects.append(value)
        lines.append(line)
    if not objects:
        raise TableUnreadable("The file holds no rows: one JSON object per line.")
    return table_from_objects(objects, lines)


def table_from_objects(objects: list[dict], lines: list[int] | None = None) -> Table:
    """Rows given as objects (JSON Lines, the API): their keys, in the order first seen,
    are the columns; a key a row leaves out is an empty cell."""
    names: dict[str, None] = {}
    for value in objects:
        for key in value:
            if key not in names:
                names[key] = None
                if len(names) > MAX_COLUMNS:
                    raise TableUnreadable(f"The rows have more than {MAX_COLUMNS} keys in all.")
    columns = _columns(list(names), "The rows")
    rows = [[value.get(name) for name in columns] for value in objects]
    return Table(columns=columns, rows=rows, lines=lines or list(range(1, len(rows) + 1)))
