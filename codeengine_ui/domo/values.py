"""What a Code Engine value of each declared type looks like in JSON.

Works on a Variable with Domo's key names ({name, type, nullable, isList, children}),
which the console's normalised definitions share: the emulator checks inputs and results
with it, the console checks inputVariables edited as JSON.
"""

import math
import re
import uuid
from datetime import date, datetime, time
from typing import Any

# Anchored, so it is safe with search() (Django's RegexValidator) as well as fullmatch().
ISO_DURATION = re.compile(
    r"\AP(?!\Z)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?\Z"
)
_DIGITS = re.compile(r"\A\d+\Z")
_DATE = re.compile(r"\A\d{4}-\d{2}-\d{2}\Z")
_TIME = re.compile(r"\A\d{2}:\d{2}:\d{2}\Z")

EXPECTED = {
    "text": "text",
    "number": "a whole number",
    "decimal": "a number",
    "boolean": "true or false",
    "date": "a date as YYYY-MM-DD",
    "dateTime": "a date-time in ISO 8601 with a time zone, e.g. 2026-04-23T12:00:00Z",
    "time": "a time as HH:MM:SS",
    "duration": "an ISO 8601 duration, e.g. PT1H30M",
    "person": "a person id: digits, as text",
    "group": "a group id: digits, as text",
    "dataset": "a DataSet id (UUID)",
    "object": "an object",
}


def domo_type_of(value: Any) -> str:
    """The Code Engine type name a JSON value would be taken for."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "number"
    if isinstance(value, float):
        return "decimal"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "list"
    return "object"


def describe(value: Any) -> str:
    """A value as a person would name it in a message."""
    if isinstance(value, str):
        shown = value if len(value) <= 30 else value[:29] + "…"
        return f'text "{shown}"'
    return {"null": "null", "boolean": "a boolean", "number": "a number", "decimal": "a number",
            "list": "a list", "object": "an object"}[domo_type_of(value)]  # fmt: skip


def _parses(parse, value: str) -> bool:
    try:
        parse(value)
    except (TypeError, ValueError):
        return False
    return True


def _is_datetime_with_zone(value: str) -> bool:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return False
    return "T" in value and parsed.tzinfo is not None


_FITS = {
    "text": lambda v: isinstance(v, str),
    "number": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "decimal": lambda v: (
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
    ),
    "boolean": lambda v: isinstance(v, bool),
    "date": lambda v: (
        isinstance(v, str) and bool(_DATE.match(v)) and _parses(date.fromisoformat, v)
    ),
    "dateTime": lambda v: isinstance(v, str) and _is_datetime_with_zone(v),
    "time": lambda v: (
        isinstance(v, str) and bool(_TIME.match(v)) and _parses(time.fromisoformat, v)
    ),
    "duration": lambda v: isinstance(v, str) and bool(ISO_DURATION.match(v)),
    "person": lambda v: isinstance(v, str) and bool(_DIGITS.match(v)),
    "group": lambda v: isinstance(v, str) and bool(_DIGITS.match(v)),
    "dataset": lambda v: isinstance(v, str) and _parses(uuid.UUID, v),
    "object": lambda v: isinstance(v, dict),
}


def _canonical(type_name: str) -> str:
    lowered = type_name.lower()
    return next((name for name in _FITS if name.lower() == lowered), lowered)


def fits(type_name: str, value: Any) -> bool:
    """Whether one (non-null, non-list) value fits `type_name`; unknown types take anything."""
    check = _FITS.get(_canonical(type_name))
    return True if check is None else check(value)


def value_problems(variable: dict, value: Any, path: str) -> list[tuple[str, str]]:
    """Every way `value` does not fit `variable`, as (path, message) pairs; [] when it fits."""
    type_name = _canonical(str(variable.get("type") or "object"))
    expected = EXPECTED.get(type_name, type_name)
    if value is None:
        if variable.get("nullable"):
            return []
        wanted = f"a list of {type_name}" if variable.get("isList") else expected
        return [(path, f"required: expected {wanted}, got null")]
    if variable.get("isList"):
        if not isinstance(value, list):
            return [(path, f"expected a list of {type_name}, got {describe(value)}")]
        items = [(f"{path}[{index}]", item) for index, item in enumerate(value)]
    else:
        items = [(path, value)]
    problems = []
    for item_path, item in items:
        if item is None:
            problems.append((item_path, f"expected {expected}, got null"))
        elif not fits(type_name, item):
            problems.append((item_path, f"expected {expected}, got {describe(item)}"))
        elif isinstance(item, dict):
            for child in variable.get("children") or []:
                child_path = f"{item_path}.{child['name']}"
                if child["name"] not in item:
                    if not child.get("nullable"):
                        problems.append((child_path, "required but missing"))
                    continue
                problems += value_problems(child, item[child["name"]], child_path)
    return problems
