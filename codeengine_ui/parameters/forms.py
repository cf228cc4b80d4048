"""The inputs editor generated from a normalised parameter definition.

Every declared input becomes a node: a typed field for a scalar, a nested fieldset for an
object with children, a repeatable list for `isList`, a JSON field for an object without
children or an unknown type. The editor reads what the browser posted (or a JSON value),
turns it into exactly the inputVariables Code Engine expects, and reports every problem
at the field it belongs to. A second mode edits the inputVariables as JSON directly.

Editing actions (add, remove or move a list item; switch between the form and JSON) are
posted like a run but only re-render the editor from what was posted, so nothing typed
is lost; htmx swaps the editor in place, and without JavaScript the page reloads.
"""

import json
import math
import re
import uuid
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from functools import cache
from typing import Any

from codeengine_ui.domo.values import ISO_DURATION, value_problems
from codeengine_ui.json_text import (
    MAX_DEPTH,
    deeper_than,
    indented,
    may_hold_lone_surrogates,
    one_line,
    replace_lone_surrogates,
)
from codeengine_ui.request_values import small_count

EDITOR_ACTION = "editor_action"
MODE_FIELD = "editor_mode"
JSON_FIELD = "inputs_json"
# The form draws one field per value, and each costs time and HTML: past this many fields
# a list is shown as one JSON field instead (the JSON tab takes lists of any length).
MAX_FORM_FIELDS = 1000
_MAX_SAFE_INTEGER = 2**53
# No JSON number (a double) reaches 1e309; longer literals are refused before any parsing.
_MAX_NUMBER_DIGITS = 309
_MAX_NUMBER_LITERAL = 340


class Invalid(ValueError):
    """Text typed into a field that is not a value of the field's type."""


# --- Codecs: the text in a field <-> the JSON value sent ----------------------------------


@dataclass(frozen=True)
class Codec:
    widget: str  # how the template draws it: input, checkbox, choice, datetime, json
    parse: Callable[[str], Any]
    format: Callable[[Any], str]
    input_type: str = "text"
    attrs: tuple[tuple[str, str], ...] = ()
    hint: str = ""


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return one_line(value)


def _parse_text(text: str) -> str:
    if "\x00" in text:
        raise Invalid("Text cannot contain the null character.")
    return text


def _too_long(literal: str) -> Invalid:
    return Invalid(f"This number is {len(literal):,} characters long; no JSON number can carry it.")


def _parse_number(text: str) -> int:
    literal = text.strip()
    if not re.fullmatch(r"[+-]?[0-9]+", literal):
        raise Invalid("Enter a whole number, e.g. 42.")
    if len(literal.lstrip("+-")) > _MAX_NUMBER_DIGITS:
        raise _too_long(literal)
    return int(literal)


def _parse_decimal(text: str) -> int | float:
    literal = text.strip()
    if len(literal) > _MAX_NUMBER_LITERAL:
        raise _too_long(literal)
    try:
        number = Decimal(literal)
    except ArithmeticError:
        raise Invalid("Enter a number, e.g. 3.14.") from None
    if not number.is_finite():
        raise Invalid("Enter a finite number.")
    if re.fullmatch(r"[+-]?[0-9]+", literal) and abs(number) <= _MAX_SAFE_INTEGER:
        return int(number)
    as_float = float(number)
    if not math.isfinite(as_float):
        raise Invalid(f"{literal} is too large for a JSON number.")
    if Decimal(repr(as_float)) != number:
        raise Invalid(
            f"{literal} has more digits than a JSON number keeps; it would be sent as {as_float!r}."
        )
    return as_float


def _format_number(value: Any) -> str:
    if isinstance(value, float):
        return repr(value)
    return _as_text(value)


def _parse_boolean(text: str) -> bool:
    return text in ("on", "true", "1")


def _parse_nullable_boolean(text: str) -> bool | None:
    if text in ("", "null"):
        return None
    if text in ("true", "false"):
        return text == "true"
    raise Invalid("Choose true, false or null.")


def _format_nullable_boolean(value: Any) -> str:
    return {True: "true", False: "false"}.get(value, "") if isinstance(value, bool) else ""


def _parse_date(text: str) -> str:
    text = text.strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise Invalid("Enter a date as YYYY-MM-DD.")
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise Invalid(f"{text} is not a date in the calendar.") from None


def _parse_time(text: str) -> str:
    text = text.strip()
    if not re.fullmatch(r"\d{2}:\d{2}(:\d{2})?", text):
        raise Invalid("Enter a time as HH:MM:SS.")
    try:
        return time.fromisoformat(text).strftime("%H:%M:%S")
    except ValueError:
        raise Invalid(f"{text} is not a time of day.") from None


def _parse_duration(text: str) -> str:
    text = text.strip()
    if not ISO_DURATION.match(text):
        raise Invalid("Enter an ISO 8601 duration, e.g. PT1H30M (1 h 30 min) or P2D (2 days).")
    return text


def _parse_id(kind: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        text = text.strip()
        if not re.fullmatch(r"\d+", text):
            raise Invalid(f"Enter the Domo {kind} id: digits only.")
        return text

    return parse


def _parse_dataset(text: str) -> str:
    try:
        return str(uuid.UUID(text.strip()))
    except ValueError:
        raise Invalid("Enter the DataSet id (a UUID).") from None


def _parse_entity_id(text: str) -> str:
    return _parse_text(text.strip())


def parse_json_exactly(text: str) -> Any:
    """JSON text as Python values; Invalid if it is not JSON, a number would lose digits,
    or it is nested deeper than the console keeps."""
    lossy: list[str] = []

    def parse_int(literal: str) -> int:
        if len(literal.lstrip("-")) > _MAX_NUMBER_DIGITS:
            raise _too_long(literal)
        return int(literal)

    def parse_float(literal: str) -> float:
        if len(literal) > _MAX_NUMBER_LITERAL:
            raise _too_long(literal)
        number = float(literal)
        if not math.isfinite(number) or Decimal(repr(number)) != Decimal(literal):
            lossy.append(literal)
        return number

    def refuse_constant(name: str) -> None:
        raise Invalid(f"{name} is not a JSON value.")

    try:
        value = json.loads(
            text, parse_int=parse_int, parse_float=parse_float, parse_constant=refuse_constant
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
    if lossy:
        literal = lossy[0]
        if not math.isfinite(float(literal)):
            raise Invalid(f"{literal} is too large for a JSON number.")
        raise Invalid(
            f"{literal} has more digits than a JSON number keeps; it would be sent as "
            f"{float(literal)!r}."
        )
    return value


def _format_json(value: Any) -> str:
    return "" if value is None else indented(value)


_ENTITY_HINT = "The {type} id, as text (Code Engine does not document this encoding)."

CODECS: dict[str, Codec] = {
    "text": Codec("input", _parse_text, _as_text),
    "number": Codec("input", _parse_number, _format_number, "number", (("step", "1"),)),
    "decimal": Codec("input", _parse_decimal, _format_number, "number", (("step", "any"),)),
    "date": Codec("input", _parse_date, _as_text, "date"),
    # Two inputs (local date-time, zone), read together by parse_date_time.
    "dateTime": Codec("datetime", str, _as_text, "datetime-local", (("step", "1"),)),
    "time": Codec("input", _parse_time, _as_text, "time", (("step", "1"),)),
    "duration": Codec(
        "input", _parse_duration, _as_text, "text",
        (("placeholder", "PT1H30M"), ("spellcheck", "false")),
        "ISO 8601 duration: P1D is a day, PT1H30M an hour and a half.",
    ),
    "person": Codec("input", _parse_id("person"), _as_text, "text",
                    (("inputmode", "numeric"), ("pattern", r"\d+"))),
    "group": Codec("input", _parse_id("group"), _as_text, "text",
                   (("inputmode", "numeric"), ("pattern", r"\d+"))),
    "dataset": Codec("input", _parse_dataset, _as_text, "text",
                     (("placeholder", "DataSet id (UUID)"), ("spellcheck", "false"))),
    "account": Codec("input", _parse_entity_id, _as_text, hint=_ENTITY_HINT.format(type="account")),
    "file": Codec("input", _parse_entity_id, _as_text, hint=_ENTITY_HINT.format(type="file")),
    "directory": Codec("input", _parse_entity_id, _as_text,
                       hint=_ENTITY_HINT.format(type="directory")),
    "boolean": Codec("checkbox", _parse_boolean, lambda value: "on" if value is True else ""),
    "nullable-boolean": Codec("choice", _parse_nullable_boolean, _format_nullable_boolean),
    "json": Codec("json", parse_json_exactly, _format_json),
}  # fmt: skip


# --- Date-times: a local date-time plus an explicit time zone ------------------------------


@cache
def time_zone_names() -> tuple[str, ...]:
    return ("UTC", *sorted(zoneinfo.available_timezones() - {"UTC"}))


def _zone(text: str) -> timezone | zoneinfo.ZoneInfo:
    text = text.strip()
    if text.upper() in ("Z", "UTC"):
        return UTC
    offset = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", text)
    if offset:
        sign, hours, minutes = offset.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes))
        if delta > timedelta(hours=18):
            raise Invalid(f"{text} is not a time-zone offset.")
        return timezone(-delta if sign == "-" else delta)
    try:
        return zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise Invalid(
            f'"{text}" is not a time zone: use UTC, an offset such as +02:00, or a name '
            "such as Europe/Paris."
        ) from None


def parse_date_time(local: str, zone: str) -> str:
    local = local.strip()
    try:
        moment = datetime.fromisoformat(local)
    except ValueError:
        raise Invalid("Enter a date and time, e.g. 2026-04-23 12:00:00.") from None
    if moment.tzinfo is not None or ("T" not in local and " " not in local):
        raise Invalid("Enter a date and time, e.g. 2026-04-23 12:00:00.")
    if not zone.strip():
        raise Invalid("Choose a time zone: UTC, an offset such as +02:00, or a name.")
    sent = moment.replace(tzinfo=_zone(zone)).isoformat()
    return sent[:-6] + "Z" if sent.endswith("+00:00") else sent


def split_date_time(value: Any) -> tuple[str, str]:
    """(local date-time, zone) to show for a value; a value that does not parse is kept."""
    if not isinstance(value, str) or not value:
        return ("" if value is None else _as_text(value)), ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value, ""
    if moment.tzinfo is None:
        return moment.isoformat(), ""
    local = moment.replace(tzinfo=None).isoformat()
    if value.endswith("Z") or moment.utcoffset() == timedelta(0):
        return local, "UTC"
    return local, moment.isoformat()[-6:]


# --- The node tree ------------------------------------------------------------------------

_INVALID = object()


@dataclass
class Node:
    """One declared input, object child or list item, as shown in the form."""

    parameter: dict
    name: str  # the HTML name: index-based, so any parameter name is safe in it
    path: str  # the value path used in messages: order.lines[0].sku
    label: str
    kind: str  # scalar, json, object, list
    codec: Codec | None = None
    text: str = ""
    zone: str = ""
    zone_is_default: bool = False
    children: list["Node"] = field(default_factory=list)
    is_null: bool = False
    in_list: bool = False
    required: bool = False
    errors: list[str] = field(default_factory=list)
    # A list with more items than the form draws, edited as one JSON field instead.
    as_json: bool = False
    notice: str = ""

    @property
    def html_id(self) -> str:
        return "f-" + self.name.replace(".", "-")

    @property
    def optional_null(self) -> bool:
        return bool(self.parameter["nullable"]) and not self.in_list

    @property
    def hint(self) -> str:
        parts = [self.parameter["description"]] if not self.in_list else []
        if self.kind == "scalar" and self.codec and self.codec.hint:
            parts.append(self.codec.hint)
        elif self.as_json:
            parts.append(f"A JSON list of {self.parameter['type']}.")
        elif self.kind == "json" and self.parameter["type"] == "object":
            parts.append("Any JSON object.")
        elif self.kind == "json":
            parts.append(f'Unknown type "{self.parameter["type"]}": enter the value as JSON.')
        return " ".join(part for part in parts if part)

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


def _element(parameter: dict) -> dict:
    return {**parameter, "isList": False, "nullable": False}


def _kind(parameter: dict) -> str:
    if parameter["isList"]:
        return "list"
    if parameter["type"] == "object":
        return "object" if parameter["children"] else "json"
    return "scalar" if parameter["type"] in CODECS else "json"


def _codec(parameter: dict, kind: str) -> Codec | None:
    if kind == "json":
        return CODECS["json"]
    if kind != "scalar":
        return None
    if parameter["type"] == "boolean" and parameter["nullable"]:
        return CODECS["nullable-boolean"]
    return CODECS[parameter["type"]]


class _Builder:
    """Builds nodes from a JSON value (defaults, last inputs, the JSON tab) or from what the
    browser posted, drawing at most MAX_FORM_FIELDS nodes inside lists."""

    def __init__(self, data=None):
        self.data = data
        self.built = 0

    def node(
        self,
        parameter: dict,
        name: str,
        path: str,
        value: Any = None,
        *,
        in_list: bool = False,
        required: bool = True,
        label: str | None = None,
    ) -> Node:
        self.built += 1
        kind = _kind(parameter)
        node = Node(
            parameter,
            name,
            path,
            label or parameter["label"],
            kind,
            _codec(parameter, kind),
            in_list=in_list,
        )
        node.required = required and not parameter["nullable"]
        if kind == "list":
            self._list(node, value)
        elif kind == "object":
            self._object(node, value)
        elif node.codec.widget == "datetime":
            node.text, node.zone = self._date_time(node, value)
            if self.data is None and not node.text:
                node.zone, node.zone_is_default = "UTC", True
        else:
            node.text = self._text(node, value)
        return node

    def _text(self, node: Node, value: Any) -> str:
        if self.data is not None:
            return self.data.get(node.name, "")
        return node.codec.format(value)

    def _date_time(self, node: Node, value: Any) -> tuple[str, str]:
        if self.data is not None:
            return self.data.get(node.name, ""), self.data.get(f"{node.name}.tz", "")
        return split_date_time(value)

    def _object(self, node: Node, value: Any) -> None:
        if self.data is not None:
            node.is_null = node.optional_null and self.data.get(f"{node.name}.null") == "on"
        else:
            node.is_null = node.optional_null and value is None
        values = value if isinstance(value, dict) else {}
        for index, child in enumerate(node.parameter["children"]):
            child_value = values.get(child["name"], child["default"])
            node.children.append(
                self.node(
                    child,
                    f"{node.name}.{index}",
                    f"{node.path}.{child['name']}",
                    child_value,
                    required=node.required,
                )
            )

    def _list(self, node: Node, value: Any) -> None:
        element = _element(node.parameter)
        if self.data is not None:
            if self.data.get(f"{node.name}.as_json") == "on":
                self._list_as_json(node, self.data.get(node.name, ""))
                return
            node.is_null = node.optional_null and self.data.get(f"{node.name}.null") == "on"
            count = small_count(self.data.get(f"{node.name}.count", "0"), MAX_FORM_FIELDS)
            if count is None:
                node.errors.append(
                    f"The form shows up to {MAX_FORM_FIELDS:,} fields: use the JSON tab "
                    "for a list this long."
                )
                return
            items = [None] * count
        else:
            node.is_null = node.optional_null and value is None
            items = value if isinstance(value, list) else ([] if value is None else [value])
        built_before = self.built
        for index, item in enumerate(items):
            if self.built >= MAX_FORM_FIELDS:
                break
            node.children.append(self.item(node, element, index, item))
        else:
            return
        # Too many to draw: the list becomes one JSON field (only a forged post has no JSON).
        node.children, self.built = [], built_before
        if self.data is not None:
            node.errors.append(
                f"The form shows up to {MAX_FORM_FIELDS:,} fields: use the JSON tab for a "
                "list this long."
            )
            return
        self._list_as_json(node, indented(value))
        node.notice = (
            f"This list has {len(items):,} items; the form shows up to {MAX_FORM_FIELDS:,} "
            "fields, so it is edited here as JSON. The JSON tab takes it too."
        )

    @staticmethod
    def _list_as_json(node: Node, text: str) -> None:
        node.kind, node.codec, node.as_json, node.text = "json", CODECS["json"], True, text
        node.is_null = False
        if not node.notice:
            node.notice = (
                f"The form shows up to {MAX_FORM_FIELDS:,} fields, so this list is edited "
                "here as JSON. The JSON tab takes it too."
            )

    def item(self, node: Node, element: dict, index: int, value: Any) -> Node:
        return self.node(
            element,
            f"{node.name}.{index}",
            f"{node.path}[{index}]",
            value,
            in_list=True,
            required=node.required,
            label=f"{node.parameter['label']} {index + 1}",
        )


def _clean(node: Node, lenient: bool = False) -> Any:
    """The node's JSON value; problems go to node.errors and give _INVALID. When lenient,
    text that does not parse is kept as text instead (for switching to the JSON tab)."""
    if node.kind in ("object", "list") and node.is_null:
        return None
    if node.kind == "object":
        values = {child.parameter["name"]: _clean(child, lenient) for child in node.children}
        return _INVALID if _INVALID in values.values() else values
    if node.kind == "list":
        items = [_clean(child, lenient) for child in node.children]
        return _INVALID if _INVALID in items or node.errors else items
    if node.codec.widget in ("checkbox", "choice"):
        return node.codec.parse(node.text)
    # Only text keeps whitespace as a value; anywhere else blank means empty.
    empty = node.text == "" if node.parameter["type"] == "text" else not node.text.strip()
    try:
        if empty:
            value = None
        elif node.codec.widget == "datetime":
            value = parse_date_time(node.text, node.zone)
        else:
            value = node.codec.parse(node.text)
    except Invalid as error:
        if lenient:
            return node.text
        node.errors.append(str(error))
        return _INVALID
    if value is None:
        if node.optional_null or lenient:
            return None
        node.errors.append(
            "Fill in this item or remove it." if node.in_list else "This field is required."
        )
        return _INVALID
    if node.as_json and not lenient:
        problems = value_problems(node.parameter, value, node.path)
        node.errors += [f"{path}: {message}" for path, message in problems[:10]]
        return _INVALID if problems else value
    if node.kind == "json" and node.parameter["type"] == "object" and not isinstance(value, dict):
        if lenient:
            return value
        node.errors.append('Enter a JSON object, e.g. {"key": "value"}.')
        return _INVALID
    return value


class InputsEditor:
    """The inputs of one run: a typed form, or the inputVariables as JSON."""

    def __init__(
        self, parameters: list[dict], data=None, *, values: dict | None = None, prefix: str = "in"
    ):
        self.parameters = parameters
        self.prefix = prefix
        self.general_errors: list[str] = []
        self.json_problems: list[str] = []
        self.mode = "form"
        self.json_text = ""
        self._cleaned: dict | None = None
        if data is not None and data.get(MODE_FIELD) == "json":
            self.mode = "json"
            self.json_text = data.get(JSON_FIELD, "")
            self.nodes: list[Node] = []
        else:
            builder = _Builder(data)
            source = values if values is not None else {}
            self.nodes = [
                builder.node(
                    parameter,
                    f"{prefix}.{index}",
                    parameter["name"],
                    source.get(parameter["name"], parameter["default"]) if data is None else None,
                )
                for index, parameter in enumerate(parameters)
            ]

    # --- editing actions -----------------------------------------------------------------

    def perform(self, action: str) -> None:
        """Apply an editing action posted by a button: list:add:<name>,
        list:remove|up|down:<name>:<index>, mode:json, mode:form."""
        kind, _, rest = action.partition(":")
        if kind == "mode":
            self._switch(rest)
        elif kind == "list" and self.mode == "form":
            operation, _, target = rest.partition(":")
            name, _, index = target.partition(":")
            node = next((n for n in self.all_nodes() if n.name == name and n.kind == "list"), None)
            if node is not None:
                position = small_count(index, MAX_FORM_FIELDS)
                self._edit_list(node, operation, -1 if position is None else position)

    def _edit_list(self, node: Node, operation: str, index: int) -> None:
        items = node.children
        if operation == "add":
            element = _element(node.parameter)
            item = _Builder().item(node, element, len(items), element["default"])
            if sum(1 for _ in self.all_nodes()) + sum(1 for _ in item.walk()) > MAX_FORM_FIELDS:
                node.errors.append(
                    f"The form shows up to {MAX_FORM_FIELDS:,} fields: add more items in the "
                    "JSON tab."
                )
                return
            items.append(item)
            node.is_null = False
        elif operation == "remove" and 0 <= index < len(items):
            del items[index]
        elif operation == "up" and 0 < index < len(items):
            items[index - 1], items[index] = items[index], items[index - 1]
        elif operation == "down" and 0 <= index < len(items) - 1:
            items[index], items[index + 1] = items[index + 1], items[index]
        for position, item in enumerate(items):
            _rename(
                item,
                f"{node.name}.{position}",
                f"{node.path}[{position}]",
                f"{node.parameter['label']} {position + 1}",
            )

    def _switch(self, mode: str) -> None:
        if mode == "json" and self.mode == "form":
            values = {
                node.parameter["name"]: (
                    None if (v := _clean(node, lenient=True)) is _INVALID else v
                )
                for node in self.nodes
            }
            self.json_text = indented(values)
            self.mode, self.nodes = "json", []
        elif mode == "form" and self.mode == "json":
            values = self._parse_json_text()
            if values is None:
                return
            builder = _Builder()
            self.mode = "form"
            self.nodes = [
                builder.node(
                    parameter,
                    f"{self.prefix}.{index}",
                    parameter["name"],
                    values.get(parameter["name"]),
                )
                for index, parameter in enumerate(self.parameters)
            ]
            self.report_misfits(values)

    # --- validation ----------------------------------------------------------------------

    def is_valid(self) -> bool:
        if self.mode == "json":
            values = self._parse_json_text()
            if values is None:
                return False
            problems = self._json_value_problems(values)
            self.json_problems = [f"{path}: {message}" for path, message in problems]
            if problems:
                return False
            self._cleaned = {p["name"]: values.get(p["name"]) for p in self.parameters}
            return True
        cleaned = {node.parameter["name"]: _clean(node) for node in self.nodes}
        if _INVALID in cleaned.values():
            return False
        if deeper_than(cleaned, MAX_DEPTH):
            self.general_errors.append(
                f"These inputs are nested deeper than {MAX_DEPTH:,} levels: the console "
                "cannot keep them."
            )
            return False
        self._cleaned = cleaned
        return True

    def input_variables(self) -> dict[str, Any]:
        """What Code Engine receives; call after is_valid()."""
        if self._cleaned is None:
            raise ValueError("input_variables() needs a valid editor")
        return self._cleaned

    @property
    def has_errors(self) -> bool:
        return bool(
            self.general_errors
            or self.json_problems
            or any(node.errors for node in self.all_nodes())
        )

    def _parse_json_text(self) -> dict | None:
        try:
            values = parse_json_exactly(self.json_text or "{}")
        except Invalid as error:
            self.general_errors.append(str(error))
            return None
        if not isinstance(values, dict):
            self.general_errors.append(
                "inputVariables must be a JSON object with one key per input."
            )
            return None
        return values

    def _json_value_problems(self, values: dict) -> list[tuple[str, str]]:
        declared = {p["name"] for p in self.parameters}
        problems = [(key, "not an input of this function") for key in values if key not in declared]
        for parameter in self.parameters:
            if parameter["name"] not in values and not parameter["nullable"]:
                problems.append((parameter["name"], "required but missing"))
            elif parameter["name"] in values:
                problems += value_problems(parameter, values[parameter["name"]], parameter["name"])
        return problems

    def report_misfits(self, values: dict) -> None:
        """Show, at each field, how `values` (what the form was filled with) does not fit
        the definition; keys that are not inputs are reported above the form."""
        by_path = {node.path: node for node in self.all_nodes()}
        for path, message in self._json_value_problems(values):
            field_path = path
            while field_path not in by_path and _PARENT_PATH.match(field_path):
                field_path = _PARENT_PATH.match(field_path).group(1)
            node = by_path.get(field_path)
            if node is None:
                self.general_errors.append(f"{path}: {message}")
            elif field_path == path:
                node.errors.append(_sentence(message))
            else:  # inside a list shown as JSON
                node.errors.append(f"{path}: {message}")

    def all_nodes(self):
        for node in self.nodes:
            yield from node.walk()

    @property
    def time_zones(self) -> tuple[str, ...]:
        """Time-zone names to suggest, when the form has a date-time field."""
        if any(node.codec and node.codec.widget == "datetime" for node in self.all_nodes()):
            return time_zone_names()
        return ()


# "order.lines[2].sku" -> "order.lines[2]" -> "order.lines" -> "order"
_PARENT_PATH = re.compile(r"(.+)(?:\[\d+\]|\.[^.\[]+)\Z")


def _sentence(message: str) -> str:
    return message[0].upper() + message[1:] + ("" if message.endswith(".") else ".")


def _rename(node: Node, name: str, path: str, label: str | None = None) -> None:
    node.name, node.path = name, path
    if label is not None:
        node.label = label
    for index, child in enumerate(node.children):
        if node.kind == "list":
            _rename(
                child,
                f"{name}.{index}",
                f"{path}[{index}]",
                f"{node.parameter['label']} {index + 1}",
            )
        else:
            _rename(child, f"{name}.{index}", f"{path}.{child.parameter['name']}")
