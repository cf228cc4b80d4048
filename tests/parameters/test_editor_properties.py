"""Property-based tests: for random definitions and values that fit them, the editor renders,
takes back what a browser posts and sends exactly the value; random malformed definitions
only ever raise the definition error."""

import json
import re
import string
from datetime import UTC, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codeengine_ui.parameters.definitions import DefinitionError, normalise_parameters
from codeengine_ui.parameters.editor import InputsEditor, _sentence
from codeengine_ui.parameters.types import ISO_DURATION, canonical_type, value_problems
from tests.html_forms import submitted_fields

from .editor_helpers import render

PROPERTY_SETTINGS = settings(
    max_examples=120, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)  # fmt: skip

SCALAR_TYPES = ["text", "number", "decimal", "boolean", "date", "dateTime", "time", "duration",
                "person", "group", "dataset", "account", "file", "directory"]  # fmt: skip

# What a browser can carry in a one-line text input: no control characters or newlines.
_one_line = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=20
)
_names = st.text(alphabet=string.ascii_letters + "_é中", min_size=1, max_size=8)


@st.composite
def variables(draw, depth: int = 0) -> dict:
    kinds = SCALAR_TYPES + ["object-json", "queue"] + (["object"] if depth < 3 else [])
    kind = draw(st.sampled_from(kinds))
    variable = {
        "name": "",
        "type": "object" if kind.startswith("object") else kind,
        "nullable": draw(st.booleans()),
        "isList": draw(st.booleans()),
    }
    if kind == "object":
        variable["children"] = draw(variable_lists(depth + 1, min_size=1))
    return variable


@st.composite
def variable_lists(draw, depth: int = 0, min_size: int = 0) -> list[dict]:
    names = draw(st.lists(_names, min_size=min_size, max_size=4, unique=True))
    found = []
    for name in names:
        variable = draw(variables(depth))
        variable["name"] = name
        found.append(variable)
    return found


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _one_line,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_one_line, inner, max_size=3),
    max_leaves=8,
)
_zones = st.sampled_from(
    [UTC]
    + [
        timezone(timedelta(hours=h, minutes=m))
        for h, m in [(2, 0), (-5, 0), (5, 30), (-3, -30), (14, 0)]
    ]
)


def _date_time(moment) -> str:
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


ELEMENTS = {
    "text": _one_line,
    # The typed form takes whole numbers a JavaScript function holds exactly; past that,
    # a field error sends the person to the JSON tab (tested in test_inputs_editor).
    "number": st.integers(-(2**53 - 1), 2**53 - 1),
    "decimal": st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(2**53), 2**53),
    "boolean": st.booleans(),
    "date": st.dates().map(lambda day: day.isoformat()),
    "dateTime": st.datetimes(timezones=_zones).map(_date_time),
    "time": st.times().map(lambda moment: moment.strftime("%H:%M:%S")),
    "duration": st.from_regex(ISO_DURATION, fullmatch=True),
    "person": st.from_regex(r"\A[0-9]{1,12}\Z", fullmatch=True),
    "group": st.from_regex(r"\A[0-9]{1,12}\Z", fullmatch=True),
    "dataset": st.uuids().map(str),
    "account": _one_line.filter(lambda text: not text.lstrip().startswith("{"))
    | st.dictionaries(_one_line, json_values, max_size=2),
    "file": _one_line.filter(lambda text: not text.lstrip().startswith("{")),
    "directory": st.dictionaries(_one_line, json_values, max_size=2),
}


def values_for(parameter: dict, *, in_list: bool = False):
    """Values that fit a normalised parameter, in the form Code Engine receives."""
    if parameter["isList"] and not in_list:
        items = st.lists(values_for(parameter, in_list=True), max_size=3)
        return st.none() | items if parameter["nullable"] else items
    if parameter["type"] == "object" and parameter["children"]:
        element = st.fixed_dictionaries(
            {child["name"]: values_for(child) for child in parameter["children"]}
        )
    elif parameter["type"] == "object":
        element = st.dictionaries(_one_line, json_values, max_size=3)
    else:
        element = ELEMENTS.get(parameter["type"], json_values.filter(lambda v: v is not None))
    if parameter["nullable"] and not in_list:
        return st.none() | element
    return element


@st.composite
def definitions_with_values(draw):
    parameters = normalise_parameters(draw(variable_lists()))
    values = draw(st.fixed_dictionaries({p["name"]: values_for(p) for p in parameters}))
    return parameters, values


def _exactly(value) -> str:
    """JSON text, so 1 and 1.0 (or False and 0) are not equal as they are for ==; inputs are
    sent in the definition's order, so keys are compared sorted."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@PROPERTY_SETTINGS
@given(definitions_with_values())
def test_form_sends_exactly_the_value_it_was_filled_with(case):
    parameters, values = case

    shown = InputsEditor(parameters, values=values)
    posted = InputsEditor(parameters, submitted_fields(render(shown)))

    assert posted.is_valid(), [(n.path, n.errors) for n in posted.all_nodes() if n.errors]
    assert _exactly(posted.input_variables()) == _exactly(values)


@PROPERTY_SETTINGS
@given(definitions_with_values())
def test_json_tab_sends_exactly_the_value_written(case):
    parameters, values = case
    data = submitted_fields(render(InputsEditor(parameters)))
    data["editor_mode"], data["inputs_json"] = "json", _exactly(values)

    editor = InputsEditor(parameters, data)

    assert editor.is_valid(), editor.json_problems + editor.general_errors
    assert _exactly(editor.input_variables()) == _exactly(values)


@PROPERTY_SETTINGS
@given(definitions_with_values())
def test_switching_to_json_and_back_keeps_the_value(case):
    parameters, values = case
    data = submitted_fields(render(InputsEditor(parameters, values=values)))
    to_json = InputsEditor(parameters, data)
    to_json.perform("mode:json")
    data = submitted_fields(render(to_json))

    back = InputsEditor(parameters, data)
    back.perform("mode:form")
    posted = InputsEditor(parameters, submitted_fields(render(back)))

    assert posted.is_valid()
    assert _exactly(posted.input_variables()) == _exactly(values)


_definition_keys = st.sampled_from(
    [
        "name",
        "alias",
        "type",
        "nullable",
        "isList",
        "children",
        "value",
        "displayName",
        "inputs",
        "parameters",
    ]
)
_definition_noise = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=8)
    | st.sampled_from(["text", "object", "nummber", "TEXT", "queue"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(_definition_keys | st.text(max_size=5), inner, max_size=5)
    ),
    max_leaves=25,
)


@PROPERTY_SETTINGS
@given(_definition_noise)
def test_malformed_definitions_only_raise_the_definition_error(definition):
    try:
        parameters = normalise_parameters(definition)
    except DefinitionError as error:
        assert str(error)
        return
    editor = InputsEditor(parameters)
    render(editor)
    InputsEditor(parameters, submitted_fields(render(editor))).is_valid()


# --- The form and the JSON tab apply the same rules to the same value ------------------------

_NEAR_MISSES = st.sampled_from(
    ["12:00", "25:00", "12:60:00", "2024-02-30", "2023-02-29", "23/04/2026", "P", "PT",
     "PT1H30", "P1.5D", " 42", "42 ", "٤٢", "abc", "8C1B5E2A-6F3D-4A9B-B1C7-2D4E6F8A0B1C",
     "8c1b5e2a6f3d4a9bb1c72d4e6f8a0b1c", "2026-04-23T12:00", "2026-04-23T12:00:00",
     "2026-04-23 12:00:00Z", "2026-04-23T24:00:00Z", "2026-04-23T12:00:00+0200", "true", "1,5"]
)  # fmt: skip
_TEXT_THAT_IS_NOT_A_NUMBER = (_one_line | _NEAR_MISSES).filter(
    lambda text: not re.fullmatch(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?", text)
)
ANY_ELEMENT = {
    "text": _one_line,
    # Whole numbers past ±(2**53 - 1) are refused by the form only (the JSON tab sends
    # them): that difference is tested in test_inputs_editor.
    "number": st.integers(-(2**53 - 1), 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: abs(f) < 2**53)
    | _TEXT_THAT_IS_NOT_A_NUMBER,
    # A decimal written with a comma (1,5) is refused by both, but the form says how to
    # write it: that message is tested in test_inputs_editor.
    "decimal": st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(2**70), 2**70)
    | _TEXT_THAT_IS_NOT_A_NUMBER.filter(lambda text: not re.fullmatch(r"-?\d+,\d+", text)),
    "boolean": st.booleans(),
    "account": _one_line | st.dictionaries(_one_line, json_values, max_size=2),
}  # fmt: skip
for _name in ("file", "directory"):
    ANY_ELEMENT[_name] = ANY_ELEMENT["account"]
for _name in ("date", "dateTime", "time", "duration", "person", "group", "dataset"):
    ANY_ELEMENT[_name] = ELEMENTS[_name] | _NEAR_MISSES | _one_line


def any_values_for(parameter: dict, *, in_list: bool = False):
    """Values, fitting or not, that a person can put in the parameter's field: as the form
    shows null as an empty field, null is left out where a field cannot be empty (a
    checkbox, a list, an object with children), and so is the empty string."""
    checkbox = parameter["type"] == "boolean" and (in_list or not parameter["nullable"])
    whole_list = parameter["isList"] and not in_list
    can_be_empty = not (checkbox or whole_list or parameter["children"])
    if parameter["isList"] and not in_list:
        items = st.lists(any_values_for(parameter, in_list=True), max_size=3)
        return st.none() | items if parameter["nullable"] else items
    if parameter["type"] == "object" and parameter["children"]:
        element = st.fixed_dictionaries(
            {child["name"]: any_values_for(child) for child in parameter["children"]}
        )
    elif parameter["type"] not in ANY_ELEMENT:  # objects without children, unknown types
        element = json_values.filter(lambda v: v is not None)
    else:
        element = ANY_ELEMENT[parameter["type"]]
    return st.none() | element if can_be_empty else element


@st.composite
def definitions_with_any_values(draw):
    parameters = normalise_parameters(draw(variable_lists()))
    values = draw(st.fixed_dictionaries({p["name"]: any_values_for(p) for p in parameters}))
    return parameters, values


def _form_outcome(parameters, values):
    shown = InputsEditor(parameters, values=values)
    posted = InputsEditor(parameters, submitted_fields(render(shown)))
    if posted.is_valid():
        return "valid", _exactly(posted.input_variables())
    problems = set()
    for node in posted.all_nodes():
        for error in node.errors:
            if node.as_json:
                path, _, message = error.partition(": ")
                problems.add((path, _sentence(message)))
            else:
                problems.add((node.path, error))
    return "refused", problems


def _json_outcome(parameters, values):
    data = submitted_fields(render(InputsEditor(parameters)))
    data["editor_mode"], data["inputs_json"] = "json", json.dumps(values, ensure_ascii=False)
    editor = InputsEditor(parameters, data)
    if editor.is_valid():
        return "valid", _exactly(editor.input_variables())
    problems = set()
    for problem in editor.json_problems:
        path, _, message = problem.partition(": ")
        problems.add((path, _sentence(message)))
    return "refused", problems


_MINUTES = {
    "time": re.compile(r"\A([01][0-9]|2[0-3]):[0-5][0-9]\Z"),
    # With or without its zone: the form puts the seconds back either way (a date-time
    # without a zone is then refused, quoting what the field holds).
    "dateTime": re.compile(
        r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9](?=Z|[+-]|\Z)"
    ),
}


def _with_seconds(parameter: dict, value):
    """`value` as the form sends it: a time or date-time given to the minute gets its :00
    seconds (a browser's field drops them, so the form always puts them back)."""
    if isinstance(value, list) and parameter["isList"]:
        return [_with_seconds({**parameter, "isList": False}, item) for item in value]
    if isinstance(value, dict) and parameter["children"]:
        children = {child["name"]: child for child in parameter["children"]}
        return {
            key: _with_seconds(children[key], item) if key in children else item
            for key, item in value.items()
        }
    minutes = _MINUTES.get(canonical_type(parameter["type"]) or "")
    if isinstance(value, str) and minutes and (found := minutes.match(value)):
        return value[: found.end()] + ":00" + value[found.end() :]
    return value


@PROPERTY_SETTINGS
@given(definitions_with_any_values())
def test_the_form_and_the_json_tab_accept_and_refuse_the_same_values_alike(case):
    parameters, values = case
    as_sent = {p["name"]: _with_seconds(p, values[p["name"]]) for p in parameters}

    assert _form_outcome(parameters, values) == _json_outcome(parameters, as_sent)


@st.composite
def definitions_with_any_defaults(draw):
    """Definitions whose defaults may not fit their types, as Domo's own sometimes do."""
    parameters = normalise_parameters(draw(variable_lists()))

    def with_defaults(parameter: dict) -> dict:
        default = draw(any_values_for(parameter) | json_values)
        children = [with_defaults(child) for child in parameter["children"]]
        return {**parameter, "default": default, "children": children}

    return [with_defaults(parameter) for parameter in parameters]


@PROPERTY_SETTINGS
@given(definitions_with_any_defaults())
def test_running_defaults_without_edits_never_sends_what_the_form_would_refuse(parameters):
    opened = InputsEditor(parameters)

    assert not opened.has_errors, "the form opens usable"
    posted = InputsEditor(parameters, submitted_fields(render(opened)))
    if posted.is_valid():
        sent_values = posted.input_variables()
        problems = [
            problem
            for parameter in parameters
            for problem in value_problems(parameter, sent_values[parameter["name"]], "")
        ]
        assert problems == []
