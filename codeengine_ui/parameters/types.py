"""Code Engine's parameter types: their names, and what a value of each looks like.

The one set of rules for every way a value enters the console: typed into the form,
written in the JSON tab, saved as a preset, run again from the history, or explained
after a failed run (and checked by the local emulator). Per type:

- `check`: why a JSON value does not fit, in words (None when it fits);
- `from_text`: the JSON value a person means by the text in the type's field: nothing is
  trimmed or reformatted, so a field and the JSON tab send the same value;
- `to_text`: the text a field shows for a value;
- `expected`: how the type is described in messages and hints.

Type names are matched without regard to case, and the aliases real apps write
(`string`, `integer`, `float`, `bool`...) stand for their Code Engine type.
"""

import json
import math
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache
from typing import Any

from django.utils.text import Truncator

from codeengine_ui.json_text import (
    MAX_DEPTH,
    deeper_than,
    may_hold_lone_surrogates,
    replace_lone_surrogates,
    why_not_storable,
)

# Canonical spelling of every type name Code Engine uses, keyed by its lower-case form.
CODE_ENGINE_TYPES = {
    name.lower(): name
    for name in (
        "text", "number", "decimal", "boolean", "date", "dateTime", "time", "duration",
        "object", "person", "dataset", "group", "account", "file", "directory",
    )
}  # fmt: skip
# Names that tooling around Domo writes for the same types.
TYPE_ALIASES = {
    "string": "text", "str": "text",
    "integer": "number", "int": "number", "long": "number",
    "float": "decimal", "double": "decimal",
    "bool": "boolean",
}  # fmt: skip
ENTITY_TYPES = ("account", "file", "directory")

# Anchored, so it is safe with search() (Django's RegexValidator) as well as fullmatch().
ISO_DURATION = re.compile(
    r"\AP(?!\Z)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?\Z"
)
_DIGITS = re.compile(r"\A[0-9]+\Z")
_DATE = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_TIME = re.compile(r"\A[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?\Z")
_LOCAL_DATE_TIME = re.compile(
    r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?\Z"
)
_DATE_TIME = re.compile(
    r"\A(?P<local>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?)"
    r"(?P<zone>Z|[+-][0-9]{2}:[0-9]{2})\Z"
)
_INTEGER_LITERAL = re.compile(r"\A-?[0-9]+\Z")
# A number as JSON writes it (no leading zeros, no "+").
_NUMBER_LITERAL = re.compile(r"\A-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?\Z")
_MAX_SAFE_INTEGER = 2**53
# No JSON number (a double) reaches 1e309; longer literals are refused before any parsing.
MAX_NUMBER_DIGITS = 309
MAX_NUMBER_LITERAL = 340


class Invalid(ValueError):
    """Text that cannot even be read as a value (bad JSON, a number no parser takes)."""


def canonical_type(name: str) -> str | None:
    """The Code Engine type a declared name stands for, or None when it names none."""
    lowered = name.strip().lower()
    return CODE_ENGINE_TYPES.get(lowered) or TYPE_ALIASES.get(lowered)


# --- Describing values ----------------------------------------------------------------------


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
        return f'text "{Truncator(value).chars(30)}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        shown = repr(value)
        return shown if len(shown) <= 30 else "a number"
    return {"null": "null", "list": "a list", "object": "an object"}[domo_type_of(value)]


# --- Numbers as JSON writes them ------------------------------------------------------------


def too_long(literal: str) -> Invalid:
    return Invalid(f"This number is {len(literal):,} characters long; no JSON number can carry it.")


def lossy(literal: str, as_float: float) -> Invalid:
    if not math.isfinite(as_float):
        return Invalid(f"{literal} is too large for a JSON number.")
    return Invalid(
        f"{literal} has more digits than a JSON number keeps; it would be sent as {as_float!r}."
    )


def number_from_literal(literal: str) -> int | float:
    """A JSON number literal as Python reads it: Invalid if it is too long, or if a
    fraction or exponent would lose digits as a double."""
    if len(literal.lstrip("-")) > MAX_NUMBER_DIGITS or len(literal) > MAX_NUMBER_LITERAL:
        raise too_long(literal)
    if _INTEGER_LITERAL.match(literal):
        return int(literal)
    as_float = float(literal)
    if not math.isfinite(as_float) or Decimal(repr(as_float)) != Decimal(literal):
        raise lossy(literal, as_float)
    return as_float


def parse_json_exactly(text: str) -> Any:
    """JSON text as Python values; Invalid if it is not JSON, a number would lose digits or
    is too long to read, it escapes half a character, or it nests deeper than the console
    keeps."""

    def refuse_constant(name: str) -> None:
        raise Invalid(f"{name} is not a JSON value.")

    try:
        value = json.loads(
            text,
            parse_int=number_from_literal,
            parse_float=number_from_literal,
            parse_constant=refuse_constant,
        )
    except json.JSONDecodeError as error:
        raise Invalid(
            f"This is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})."
        ) from None
    except RecursionError:
        raise Invalid(f"This JSON is nested deeper than {MAX_DEPTH:,} levels.") from None
    if deeper_than(value, MAX_DEPTH):
        raise Invalid(f"This JSON is nested deeper than {MAX_DEPTH:,} levels.")
    if may_hold_lone_surrogates(text) and replace_lone_surrogates(value)[1]:
        raise Invalid(
            "This JSON escapes half of a character (a lone surrogate such as \\uD800), "
            "which is not text."
        )
    return value


# --- Per-type rules -------------------------------------------------------------------------


def _parses(parse: Callable, value: str) -> bool:
    try:
        parse(value)
    except (TypeError, ValueError):
        return False
    return True


def _text_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return ""
    return "text cannot contain the null character" if "\x00" in value else None


def _number_problem(value: Any) -> str | None:
    return None if isinstance(value, int) and not isinstance(value, bool) else ""


def _decimal_problem(value: Any) -> str | None:
    if isinstance(value, bool):
        return ""
    # An int is exact whatever its size (math.isfinite would overflow on one past a double).
    fits = isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))
    return None if fits else ""


def _boolean_problem(value: Any) -> str | None:
    return None if isinstance(value, bool) else ""


def _date_problem(value: Any) -> str | None:
    if not isinstance(value, str) or not _DATE.match(value):
        return ""
    return None if _parses(date.fromisoformat, value) else "no such day"


def _time_problem(value: Any) -> str | None:
    if not isinstance(value, str) or not _TIME.match(value):
        return ""
    return None if _parses(time.fromisoformat, value) else "no such time of day"


def _date_time_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return ""
    if not _DATE_TIME.match(value):
        return "no time zone" if _LOCAL_DATE_TIME.match(value) else ""
    return None if _parses(datetime.fromisoformat, value) else "no such moment"


def _duration_problem(value: Any) -> str | None:
    return None if isinstance(value, str) and ISO_DURATION.match(value) else ""


def _id_problem(value: Any) -> str | None:
    return None if isinstance(value, str) and _DIGITS.match(value) else ""


def _dataset_problem(value: Any) -> str | None:
    if not isinstance(value, str) or len(value) != 36:
        return ""
    return None if _parses(uuid.UUID, value) else ""


def _entity_problem(value: Any) -> str | None:
    if isinstance(value, dict):
        return None
    if isinstance(value, str) and value.lstrip().startswith("{"):
        return "text starting with { must be a JSON object"
    return None if isinstance(value, str) and value else ""


def _object_problem(value: Any) -> str | None:
    return None if isinstance(value, dict) else ""


def _text_as_is(text: str) -> Any:
    return text


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _number_from_text(text: str) -> Any:
    """A number field holds a JSON number literal; anything else is kept as the text it is,
    so the check names it ("got text ...")."""
    return number_from_literal(text) if _NUMBER_LITERAL.match(text) else text


def _entity_from_text(text: str) -> Any:
    """An id as text, or a JSON object such as {"id": 123} (text that starts like one but is
    not is kept as text, which the check refuses)."""
    if not text.lstrip().startswith("{"):
        return text
    try:
        return parse_json_exactly(text)
    except Invalid:
        return text


@dataclass(frozen=True)
class TypeRule:
    name: str
    expected: str  # "a whole number (e.g. 42)", for "expected ..., got ..."
    problem: Callable[[Any], str | None]  # None: fits; "": does not; else why not
    from_text: Callable[[str], Any] = _text_as_is
    to_text: Callable[[Any], str] = _as_text

    def check(self, value: Any) -> str | None:
        """Why a (non-null) value does not fit this type, as a message; None if it does."""
        reason = self.problem(value)
        if reason is None:
            return None
        got = describe(value)
        return f"expected {self.expected}, got {got}" + (f" ({reason})" if reason else "")


_ENTITY_EXPECTED = 'an {type} id as text, or an object such as {{"id": 123}}'

TYPE_RULES: dict[str, TypeRule] = {
    rule.name: rule
    for rule in (
        TypeRule("text", "text", _text_problem),
        TypeRule("number", "a whole number (e.g. 42)", _number_problem, _number_from_text),
        TypeRule("decimal", "a number (e.g. 3.14)", _decimal_problem, _number_from_text),
        TypeRule("boolean", "true or false", _boolean_problem),
        TypeRule("date", "a date as YYYY-MM-DD", _date_problem),
        TypeRule(
            "dateTime",
            "a date and time with a time zone, e.g. 2026-04-23T12:00:00Z",
            _date_time_problem,
        ),
        TypeRule("time", "a time as HH:MM:SS (or HH:MM)", _time_problem),
        TypeRule("duration", "an ISO 8601 duration (e.g. PT1H30M)", _duration_problem),
        TypeRule("person", "a person id: digits, as text", _id_problem),
        TypeRule("group", "a group id: digits, as text", _id_problem),
        TypeRule("dataset", "a DataSet id (a UUID)", _dataset_problem),
        *(
            TypeRule(
                entity, _ENTITY_EXPECTED.format(type=entity), _entity_problem, _entity_from_text
            )
            for entity in ENTITY_TYPES
        ),
        TypeRule("object", "an object", _object_problem),
    )
}


@cache  # a pure lookup, asked for every value of every row of a table
def rule_for(type_name: str) -> TypeRule | None:
    """The rule for a declared type name; None for a type the console does not know."""
    canonical = canonical_type(type_name) if type_name else None
    return TYPE_RULES.get(canonical) if canonical else None


def expected(variable: dict, *, as_list: bool | None = None) -> str:
    type_name = str(variable.get("type") or "object")
    rule = rule_for(type_name)
    described = rule.expected if rule else f'a value of type "{type_name}"'
    is_list = variable.get("isList") if as_list is None else as_list
    if is_list:
        return f"a list of {rule.name if rule else type_name}"
    return described


# --- Checking a whole value against a definition --------------------------------------------


def missing_message(variable: dict, *, in_list: bool = False) -> str:
    """Null (or an empty field) where a value is required."""
    if in_list:
        return f"fill in or remove this item: expected {expected(variable, as_list=False)}"
    return f"required: expected {expected(variable)}"


def absent_message(variable: dict) -> str:
    """A required input or child left out of an object altogether."""
    return f"required but missing: expected {expected(variable)}"


def value_problems(variable: dict, value: Any, path: str) -> list[tuple[str, str]]:
    """Every way `value` does not fit `variable` (a Variable with Domo's key names, or a
    normalised parameter), as (path, message) pairs; [] when it fits."""
    rule = rule_for(str(variable.get("type") or "object"))
    if value is None:
        return [] if variable.get("nullable") else [(path, missing_message(variable))]
    if variable.get("isList"):
        if not isinstance(value, list):
            return [(path, f"expected {expected(variable)}, got {describe(value)}")]
        items = [(f"{path}[{index}]", item) for index, item in enumerate(value)]
    else:
        items = [(path, value)]
    problems = []
    for item_path, item in items:
        if item is None:
            problems.append((item_path, missing_message(variable, in_list=True)))
            continue
        message = rule.check(item) if rule else None
        if message:
            problems.append((item_path, message))
        elif isinstance(item, dict) and rule is not None and rule.name == "object":
            for child in variable.get("children") or []:
                child_path = f"{item_path}.{child['name']}"
                if child["name"] not in item:
                    if not child.get("nullable"):
                        problems.append((child_path, absent_message(child)))
                    continue
                problems += value_problems(child, item[child["name"]], child_path)
    return problems


def inputs_problems(parameters: list[dict], values: dict) -> list[tuple[str, str]]:
    """Every way inputVariables do not fit a function's inputs: keys that are not inputs,
    required inputs left out, and values that do not fit their input."""
    declared = {parameter["name"] for parameter in parameters}
    problems = [(key, "not an input of this function") for key in values if key not in declared]
    for parameter in parameters:
        name = parameter["name"]
        if name not in values:
            if not parameter["nullable"]:
                problems.append((name, absent_message(parameter)))
            continue
        unstorable = why_not_storable(values[name])
        if unstorable:
            problems.append((name, f"this value cannot be sent as JSON: {unstorable}"))
            continue
        problems += value_problems(parameter, values[name], name)
    return problems
