"""What a Code Engine value of each declared type looks like in JSON.

Used where a value must be checked against a Variable in Domo's own shape
({type, isList, nullable, children}): the emulator's input and output checks.
"""

import re
import uuid
from datetime import date, datetime, time
from typing import Any

# Anchored, so it is safe with search() (Django's RegexValidator) as well as fullmatch().
ISO_DURATION = re.compile(
    r"\AP(?!\Z)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?\Z"
)
_DIGITS = re.compile(r"\d+")


def domo_type_of(value: Any) -> str:
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


def _is_iso(parse, value: Any) -> bool:
    try:
        parse(value)
    except (TypeError, ValueError):
        return False
    return True


def _element_fits(type_name: str, value: Any) -> bool:
    checks = {
        "text": lambda v: isinstance(v, str),
        "number": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "decimal": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "date": lambda v: isinstance(v, str) and _is_iso(date.fromisoformat, v) and len(v) == 10,
        "datetime": lambda v: (
            isinstance(v, str) and "T" in v and _is_iso(datetime.fromisoformat, v)
        ),
        "time": lambda v: isinstance(v, str) and _is_iso(time.fromisoformat, v),
        "duration": lambda v: isinstance(v, str) and bool(ISO_DURATION.fullmatch(v)),
        "person": lambda v: isinstance(v, str | int) and _DIGITS.fullmatch(str(v)) is not None,
        "group": lambda v: isinstance(v, str | int) and _DIGITS.fullmatch(str(v)) is not None,
        "dataset": lambda v: isinstance(v, str) and _is_iso(uuid.UUID, v),
        "object": lambda v: isinstance(v, dict),
    }
    check = checks.get(type_name.lower())
    return True if check is None else check(value)


def type_problem(variable: dict, value: Any, path: str) -> str | None:
    """Why `value` does not fit the Variable `variable`, or None when it does."""
    type_name = str(variable.get("type") or "object")
    wanted = f"a list of {type_name}" if variable.get("isList") else type_name
    if value is None:
        return None if variable.get("nullable") else f"{path}: expected {wanted}, got null"
    items = value if variable.get("isList") else [value]
    if variable.get("isList") and not isinstance(value, list):
        return f"{path}: expected {wanted}, got {domo_type_of(value)}"
    for index, item in enumerate(items):
        item_path = f"{path}[{index}]" if variable.get("isList") else path
        if not _element_fits(type_name, item):
            return f"{item_path}: expected {type_name}, got {domo_type_of(item)}"
        for child in (variable.get("children") or []) if isinstance(item, dict) else []:
            child_name = child["name"]
            if child_name not in item and not child.get("nullable"):
                return f"{item_path}.{child_name}: required but missing"
            problem = type_problem(child, item.get(child_name), f"{item_path}.{child_name}")
            if problem:
                return problem
    return None
