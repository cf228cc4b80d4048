"""The inputs editor generated from a normalised parameter definition.

Every declared input becomes a node: a typed field for a scalar, a nested fieldset for an
object with children, a repeatable list for `isList`, a JSON field for an object without
children or an unknown type. The editor reads what the browser posted (or a JSON value),
turns it into exactly the inputVariables Code Engine expects, and reports every problem
at the field it belongs to. A second mode edits the inputVariables as JSON directly.

What a value of each type may be is decided by `types`, for the form and the JSON tab
alike: a field's text is read as the value it stands for and checked with the same rules,
so the same value is accepted or refused the same way, with the same message.

Editing actions (add, remove or move a list item; switch between the form and JSON) are
posted like a run but only re-render the editor from what was posted, so nothing typed
is lost; htmx swaps the editor in place, and without JavaScript the page reloads.
"""

import json
import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from functools import cache
from typing import Any

from codeengine_ui.json_text import MAX_DEPTH, deeper_than, indented, one_line
from codeengine_ui.request_values import small_count

from .types import (
    ENTITY_TYPES,
    Invalid,
    TypeRule,
    inputs_problems,
    missing_message,
    parse_json_exactly,
    rule_for,
    value_problems,
)

EDITOR_ACTION = "editor_action"
MODE_FIELD = "editor_mode"
JSON_FIELD = "inputs_json"
# The form draws one field per value, and each costs time and HTML: past this many fields
# a list is shown as one JSON field instead (the JSON tab takes lists of any length).
MAX_FORM_FIELDS = 1000


# --- Widgets: how each type is drawn ------------------------------------------------------


@dataclass(frozen=True)
class Widget:
    kind: str  # how the template draws it: input, text, checkbox, choice, datetime, json
    input_type: str = "text"
    attrs: tuple[tuple[str, str], ...] = ()
    hint: str = ""


_ID_ATTRS = (("inputmode", "numeric"), ("pattern", "[0-9]+"))


CHIP_TYPES = ("person", "group")


def _picker(kind: str) -> tuple[tuple[str, str], ...]:
    """A field that suggests people, groups, DataSets or accounts of the instance as one
    types (the run form says where to ask); the id chosen is what is sent."""
    return (("data-picker", kind), ("autocomplete", "off"))


_ENTITY_HINT = (
    'The {type} id, sent as text (e.g. 123 is sent as "123"); or a JSON object such as '
    '{{"id": 123}}, sent as that object. Domo does not document which one a function expects.'
)

WIDGETS: dict[str, Widget] = {
    # A field that grows with its text: a one-line <input> would drop line breaks.
    "text": Widget("text"),
    "number": Widget("input", "number", (("step", "1"),)),
    # A text field: a browser's number field reads "1,5" as 15 in some locales.
    "decimal": Widget("input", "text", (("inputmode", "decimal"), ("spellcheck", "false"))),
    "date": Widget("input", "date"),
    # Two inputs (local date-time, zone), read together by compose_date_time.
    "dateTime": Widget("datetime", "datetime-local", (("step", "1"),)),
    "time": Widget("input", "time", (("step", "1"),)),
    "duration": Widget(
        "input", "text", (("placeholder", "PT1H30M"), ("spellcheck", "false")),
        "ISO 8601 duration: P1D is a day, PT1H30M an hour and a half.",
    ),
    "person": Widget("input", "text", (*_ID_ATTRS, *_picker("person"))),
    "group": Widget("input", "text", (*_ID_ATTRS, *_picker("group"))),
    "dataset": Widget(
        "input", "text",
        (("placeholder", "DataSet id (UUID)"), ("spellcheck", "false"), *_picker("dataset")),
    ),
    **{
        entity: Widget("input", "text",
                       (("spellcheck", "false"), *(_picker(entity) if entity == "account" else ())),
                       _ENTITY_HINT.format(type=entity))
        for entity in ENTITY_TYPES
    },
    "boolean": Widget("checkbox"),
    "nullable-boolean": Widget("choice"),
    "json": Widget("json"),
}  # fmt: skip


# --- What a browser's own field keeps -----------------------------------------------------

# A browser's date, time and number fields clear a value they cannot hold, or rewrite it
# (12:00:00.5 becomes 12:00:00.500): such a value is drawn in a text field instead.
_BROWSER_KEEPS = {
    "date": re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z"),
    "time": re.compile(r"\A[0-9]{2}:[0-9]{2}(:[0-9]{2})?\Z"),
    "datetime-local": re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2})?\Z"),
    "number": re.compile(r"\A-?[0-9]+\Z"),
}
# ...and drops the seconds when they are :00, which are put back.
_NO_SECONDS = {
    "time": re.compile(r"\A[0-9]{2}:[0-9]{2}\Z"),
    "datetime-local": re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}\Z"),
}


def with_seconds(text: str, input_type: str) -> str:
    """A time or local date-time as a browser's field posts it, with its seconds (a time
    that does not exist is left as typed, for its message)."""
    if not _NO_SECONDS[input_type].match(text):
        return text
    try:
        time.fromisoformat(text[-5:])
    except ValueError:
        return text
    return text + ":00"


def _posted_text(text: str, crlf: bool) -> str:
    """A browser posts every line break as CRLF: back to the line breaks the value had."""
    text = text.replace("\r\n", "\n")
    return text.replace("\n", "\r\n") if crlf else text


def _line_breaks(text: str) -> str:
    """How a text field can hold `text`'s line breaks: "" (none, or \\n), "crlf" (every
    one \\r\\n, sent back so), or "json" (carriage returns a field cannot keep)."""
    if "\r" not in text:
        return ""
    bare = text.replace("\r\n", "")
    return "json" if "\r" in bare or "\n" in bare else "crlf"


# --- Date-times: a local date-time plus an explicit time zone ------------------------------

# "2026-04-23T12:00:00.5" + "Z" or "+02:00", as a browser's datetime-local field and a
# zone name or offset give them; kept exactly, so the form sends what the JSON tab would.
_LOCAL_AND_ZONE = re.compile(
    r"\A(?P<local>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)"
    r"(?P<zone>Z|[+-][0-9]{2}:[0-9]{2})\Z"
)


_LOCAL = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?\Z")


@cache
def time_zone_names() -> tuple[str, ...]:
    return ("UTC", *sorted(zoneinfo.available_timezones() - {"UTC"}))


def _offset(local: str, zone: str) -> str:
    """The suffix for `zone` at the local time: Z, or +HH:MM."""
    zone = zone.strip()
    if zone.upper() in ("Z", "UTC"):
        return "Z"
    offset = re.fullmatch(r"([+-])([0-9]{2}):?([0-9]{2})", zone)
    if offset:
        sign, hours, minutes = offset.groups()
        if timedelta(hours=int(hours), minutes=int(minutes)) > timedelta(hours=18):
            raise Invalid(f"{zone} is not a time-zone offset.")
        return f"{sign}{hours}:{minutes}"
    try:
        named = zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise Invalid(
            f'"{zone}" is not a time zone: use UTC, an offset such as +02:00, or a name '
            "such as Europe/Paris."
        ) from None
    try:
        moment = datetime.fromisoformat(local).replace(tzinfo=named)
    except ValueError:
        return ""  # the date-time itself is wrong: the check says so
    return moment.isoformat()[-6:]


def compose_date_time(local: str, zone: str) -> str | None:
    """What a date-time field and its zone send: the local date-time as typed, followed by
    the zone's offset (None when no date-time is given: the zone alone says nothing)."""
    if not local:
        return None
    if not zone.strip() or not _LOCAL.match(local):
        return local  # no zone, or no date-time to give one to: the check says which
    return local + _offset(local, zone)


def split_date_time(value: Any) -> tuple[str, str]:
    """(local date-time, zone) to show for a value; compose_date_time gives it back."""
    if value is None:
        return "", ""
    if not isinstance(value, str):
        return one_line(value), ""
    match = _LOCAL_AND_ZONE.match(value)
    if not match:
        return value, ""
    return match["local"], "UTC" if match["zone"] == "Z" else match["zone"]


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
    widget: Widget | None = None
    rule: TypeRule | None = None  # None: a type the console does not know
    text: str = ""
    zone: str = ""
    zone_is_default: bool = False
    children: list["Node"] = field(default_factory=list)
    is_null: bool = False
    in_list: bool = False
    required: bool = False
    errors: list[str] = field(default_factory=list)
    # A list with more items than the form draws, or text whose carriage returns a field
    # cannot keep, edited as one JSON field instead.
    as_json: bool = False
    notice: str = ""
    crlf: bool = False  # the text's line breaks are \r\n, and are sent so

    @property
    def multiline(self) -> bool:
        """Drawn as a growing text area: text, and any value holding a line break."""
        return self.widget.kind == "text" or "\n" in self.text or "\r" in self.text

    @property
    def input_type(self) -> str:
        """The browser field's type: a text field when the browser's own field would clear
        or rewrite the value, or when it is in error (the value stays in view as typed)."""
        native = self.widget.input_type
        keeps = _BROWSER_KEEPS.get(native)
        if self.errors or (keeps and self.text and not keeps.match(self.text)):
            return "text"
        return native

    @property
    def html_id(self) -> str:
        return "f-" + self.name.replace(".", "-")

    @property
    def chips(self) -> bool:
        """A list of people or groups, drawn as a row of chips each picked by name (as a
        list of text areas when an item holds a line break, which a chip would drop)."""
        return (
            self.kind == "list"
            and self.parameter["type"] in CHIP_TYPES
            and not any(child.multiline for child in self.children)
        )

    @property
    def optional_null(self) -> bool:
        return bool(self.parameter["nullable"]) and not self.in_list

    @property
    def hint(self) -> str:
        parts = [self.parameter["description"]] if not self.in_list else []
        declared = self.parameter.get("declaredType")
        if declared and not self.in_list:
            parts.append(f'Declared as "{declared}", treated as {self.parameter["type"]}.')
        subtype = self.parameter.get("entitySubType")
        if subtype and not self.in_list:
            parts.append(f"Domo's entitySubType: {subtype}.")
        if self.as_json:
            parts.append(f"A JSON list of {self.parameter['type']}.")
        elif self.kind == "scalar" and self.widget.hint:
            parts.append(self.widget.hint)
        elif self.kind == "json" and self.rule is not None:
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
    return "scalar" if parameter["type"] in WIDGETS else "json"


def _widget(parameter: dict, kind: str) -> Widget | None:
    if kind == "json":
        return WIDGETS["json"]
    if kind != "scalar":
        return None
    if parameter["type"] == "boolean" and parameter["nullable"]:
        return WIDGETS["nullable-boolean"]
    return WIDGETS[parameter["type"]]


def _misfit_notice(value: Any, message: str) -> str:
    return (
        f"Domo's definition gives {one_line(value)} as the default here, but it is not "
        f"usable ({message}), so the field starts empty."
    )


class _Builder:
    """Builds nodes from a JSON value (defaults, last inputs, the JSON tab) or from what the
    browser posted, drawing at most MAX_FORM_FIELDS nodes inside lists. A default from the
    definition that does not fit its type is left out, with a note at its field."""

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
        from_default: bool = False,
    ) -> Node:
        self.built += 1
        kind = _kind(parameter)
        node = Node(
            parameter,
            name,
            path,
            label or parameter["label"],
            kind,
            _widget(parameter, kind),
            rule_for(parameter["type"]),
            in_list=in_list,
        )
        node.required = required and not parameter["nullable"]
        if from_default and self.data is None:
            value = self._usable_default(node, value)
        if kind == "scalar" and self.data is not None and self.data.get(f"{name}.as_json"):
            self._text_as_json(node, self.data.get(name, ""))
        elif kind == "list":
            self._list(node, value, from_default=from_default)
        elif kind == "object":
            self._object(node, value, from_default=from_default)
        elif node.widget.kind == "datetime":
            node.text, node.zone = self._date_time(node, value)
            if self.data is None and not node.text:
                node.zone, node.zone_is_default = "UTC", True
        else:
            node.text = self._text(node, value)
            if self.data is None and node.kind == "scalar":
                self._keep_line_breaks(node, value)
        return node

    @staticmethod
    def _keep_line_breaks(node: Node, value: Any) -> None:
        """A browser posts every line break of a field as \\r\\n: text whose breaks are
        all \\r\\n says so to be sent back the same; text with other carriage returns
        is edited as a JSON string, which keeps them."""
        breaks = _line_breaks(node.text)
        if breaks == "crlf":
            node.crlf = True
        elif breaks == "json":
            _Builder._text_as_json(node, json.dumps(value, ensure_ascii=False))

    @staticmethod
    def _text_as_json(node: Node, text: str) -> None:
        node.kind, node.widget, node.as_json, node.text = "json", WIDGETS["json"], True, text
        node.notice = (
            "This text holds carriage returns that a form field cannot keep, so it is edited "
            'here as a JSON string ("\\r" is a carriage return, "\\n" a new line).'
        )

    @staticmethod
    def _usable_default(node: Node, value: Any) -> Any:
        """The default to prefill: itself when it fits (objects and lists are sorted out
        part by part), else nothing, with a note saying why."""
        if value is None or node.kind == "object" or node.rule is None:
            return value
        if node.kind == "list":
            if isinstance(value, list):
                return value
            message = f"expected a list of {node.parameter['type']}, got {one_line(value)}"
        else:
            message = node.rule.check(value)
            if message is None:
                return value
        node.notice = _misfit_notice(value, message)
        return None

    def _text(self, node: Node, value: Any) -> str:
        if self.data is not None:
            node.crlf = self.data.get(f"{node.name}.crlf") == "on"
            text = _posted_text(self.data.get(node.name, ""), node.crlf)
            return with_seconds(text, "time") if node.widget.input_type == "time" else text
        if node.widget.kind == "checkbox":
            return "on" if value is True else ""
        if node.widget.kind == "choice":
            return {True: "true", False: "false"}.get(value, "") if isinstance(value, bool) else ""
        if node.widget.kind == "json":
            return "" if value is None else indented(value)
        return node.rule.to_text(value)

    def _date_time(self, node: Node, value: Any) -> tuple[str, str]:
        if self.data is not None:
            local = with_seconds(self.data.get(node.name, ""), "datetime-local")
            return local, self.data.get(f"{node.name}.tz", "")
        return split_date_time(value)

    def _object(self, node: Node, value: Any, *, from_default: bool) -> None:
        if self.data is not None:
            node.is_null = node.optional_null and self.data.get(f"{node.name}.null") == "on"
        else:
            node.is_null = node.optional_null and value is None
        values = value if isinstance(value, dict) else {}
        if value is not None and not isinstance(value, dict) and from_default:
            node.notice = _misfit_notice(value, f"expected an object, got {one_line(value)}")
        for index, child in enumerate(node.parameter["children"]):
            child_from_default = from_default or child["name"] not in values
            node.children.append(
                self.node(
                    child,
                    f"{node.name}.{index}",
                    f"{node.path}.{child['name']}",
                    values.get(child["name"], child["default"]),
                    required=node.required,
                    from_default=child_from_default,
                )
            )

    def _list(self, node: Node, value: Any, *, from_default: bool = False) -> None:
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
            node.children.append(self.item(node, element, index, item, from_default))
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
        notice = node.notice
        _Builder._text_as_json(node, text)
        node.is_null, node.notice = False, notice
        if not node.notice:
            node.notice = (
                f"The form shows up to {MAX_FORM_FIELDS:,} fields, so this list is edited "
                "here as JSON. The JSON tab takes it too."
            )

    def item(
        self, node: Node, element: dict, index: int, value: Any, from_default: bool = False
    ) -> Node:
        return self.node(
            element,
            f"{node.name}.{index}",
            f"{node.path}[{index}]",
            value,
            in_list=True,
            required=node.required,
            label=f"{node.parameter['label']} {index + 1}",
            from_default=from_default,
        )


def _read(node: Node) -> Any:
    """The value a scalar or JSON field holds, as its type reads the text (Invalid when it
    cannot be read at all)."""
    if node.widget.kind == "checkbox":
        return node.text == "on"
    if node.widget.kind == "choice":
        if node.text not in ("", "true", "false"):
            raise Invalid("Choose true, false or null.")
        return {"true": True, "false": False}.get(node.text)
    if node.widget.kind == "datetime":
        return compose_date_time(node.text, node.zone)
    if node.text == "":
        return None  # an empty field stands for null
    if node.widget.kind == "json":
        return parse_json_exactly(node.text)
    return node.rule.from_text(node.text)


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
    try:
        value = _read(node)
    except Invalid as error:
        if lenient:
            return node.text
        node.errors.append(str(error))
        return _INVALID
    if not lenient and _comma_for_point(node):
        point = node.text.replace(",", ".")
        node.errors.append(f"Use a point for the decimals: write {point}, not {node.text}.")
        return _INVALID
    if lenient:
        return value
    if node.as_json:
        problems = value_problems(node.parameter, value, node.path)
        node.errors += [f"{path}: {message}" for path, message in problems[:10]]
        return _INVALID if problems else value
    if value is None:
        if node.optional_null:
            return None
        message = missing_message(node.parameter, in_list=node.in_list)
    else:
        message = node.rule.check(value) if node.rule else None
        message = message or _form_only_problem(node, value)
    if message:
        node.errors.append(_sentence(message))
        return _INVALID
    return value


# Past this, a whole number loses digits in a JavaScript function (a double holds 53 bits).
SAFE_INTEGER = 2**53 - 1
_DECIMAL_COMMA = re.compile(r"-?\d+,\d+")


def _comma_for_point(node: Node) -> bool:
    rule, text = node.rule, (node.text or "").strip()
    is_field = node.widget.kind == "input"
    return bool(is_field and rule and rule.name == "decimal" and _DECIMAL_COMMA.fullmatch(text))


def _form_only_problem(node: Node, value: Any) -> str | None:
    """What the typed form refuses although the type would take it (the JSON tab sends such
    values as written): whole numbers a JavaScript function cannot hold exactly."""
    if node.rule is None or node.rule.name != "number" or isinstance(value, bool):
        return None
    if isinstance(value, int) and abs(value) > SAFE_INTEGER:
        return (
            f"{value:,} is beyond ±{SAFE_INTEGER:,}: a JavaScript function would receive it "
            "rounded. The JSON tab sends it exactly, if the function expects that"
        )
    return None


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
                    from_default=parameter["name"] not in source,
                )
                for index, parameter in enumerate(parameters)
            ]
            if values is not None:
                self._report_form_only()

    def _report_form_only(self) -> None:
        """Values loaded into the form that the form would refuse at Run (the JSON tab
        takes them) are flagged as the form opens, not only when Run is pressed."""
        for node in self.all_nodes():
            if node.kind != "scalar" or node.errors or not node.text:
                continue
            try:
                message = _form_only_problem(node, _read(node))
            except Invalid:
                continue
            if message:
                node.errors.append(_sentence(message))

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
            item = _Builder().item(node, element, len(items), element["default"], True)
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
            self._report_form_only()

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
        return inputs_problems(self.parameters, values)

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
    def entity_types(self) -> list[str]:
        """The account, file and directory types among the inputs, whose encoding in a REST
        call Domo does not document."""
        found = {node.parameter["type"] for node in self.all_nodes()}
        return [entity for entity in ENTITY_TYPES if entity in found]

    @property
    def time_zones(self) -> tuple[str, ...]:
        """Time-zone names to suggest, when the form has a date-time field."""
        if any(node.widget and node.widget.kind == "datetime" for node in self.all_nodes()):
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
