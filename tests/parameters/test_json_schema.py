"""A definition as JSON Schema for MCP tools: the schema accepts what the type rules accept.

Validators here check no `format`: the patterns must bind on their own. Where JSON Schema
cannot state a rule, the schema is allowed to be more permissive, never stricter; each such
rule is named in `_more_permissive` and pinned by an example below:

- the number rule refuses a whole number written with a fraction (1.0), which is the
  number 1 to JSON Schema;
- the text rule refuses the null character, left to the rules;
- values no input may hold (half of a character, nesting past 1,000 levels) are not drawn.

One way round, pinned by an example and not drawn: the DataSet rule reads any 36
characters `uuid.UUID` reads, and the schema asks for the canonical form.
"""

import re
import string
from datetime import UTC, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from codeengine_ui.parameters.definitions import normalise_output, normalise_parameters
from codeengine_ui.parameters.json_schema import input_schema, output_schema, schema_warnings
from codeengine_ui.parameters.types import (
    ISO_DURATION,
    TYPE_RULES,
    inputs_problems,
    value_problems,
)

UUID = "8c1b5e2a-6f3d-4a9b-b1c7-2d4e6f8a0b1c"


def _validator(schema: dict) -> Draft202012Validator:
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _schema_of(parameter: dict) -> dict:
    return input_schema(normalise_parameters([{"name": "x", **parameter}]))["properties"]["x"]


def _verdicts(parameter: dict, values: list) -> list[tuple[bool, bool]]:
    """(schema accepts, rules accept) for each value given as input "x"."""
    parameters = normalise_parameters([{"name": "x", **parameter}])
    validator = _validator(input_schema(parameters))
    return [
        (validator.is_valid({"x": value}), inputs_problems(parameters, {"x": value}) == [])
        for value in values
    ]


def _assert_accepted_and_refused(parameter: dict, accepted: list, refused: list) -> None:
    assert _verdicts(parameter, accepted) == [(True, True)] * len(accepted)
    assert _verdicts(parameter, refused) == [(False, False)] * len(refused)


def test_a_definition_becomes_the_schema_of_its_input_variables():
    parameters = normalise_parameters(
        {"inputs": [
            {"name": "region", "displayName": "Region", "description": "Sales region.",
             "type": "text", "value": "north"},
            {"name": "owner", "type": "person"},
            {"name": "tags", "type": "string", "isList": True, "nullable": True},
            {"name": "account", "type": "ACCOUNT"},
        ]}
    )  # fmt: skip

    assert input_schema(parameters) == {
        "type": "object",
        "properties": {
            "region": {"title": "Region", "description": "Sales region.", "type": "string",
                       "default": "north"},
            "owner": {"type": "string", "pattern": "^[0-9]+$(?!\\n)"},
            "tags": {"type": ["array", "null"], "items": {"type": "string"}},
            "account": {"type": ["string", "object"], "minLength": 1,
                        "pattern": "^(?!\\s*\\{)"},
        },
        "required": ["region", "owner", "account"],
        "additionalProperties": False,
    }  # fmt: skip


# --- Each type ----------------------------------------------------------------------------


def test_text_is_any_string():
    assert _schema_of({"type": "text"}) == {"type": "string"}
    _assert_accepted_and_refused(
        {"type": "string"}, ["", "What is ARR?", "line\nbreak", "{}"], [42, True, None, ["a"]]
    )


def test_a_whole_number_is_an_integer_and_a_decimal_any_number():
    assert _schema_of({"type": "number"}) == {"type": "integer"}
    assert _schema_of({"type": "decimal"}) == {"type": "number"}
    _assert_accepted_and_refused({"type": "integer"}, [0, -7, 2**70], [3.5, "42", True, None, [1]])
    _assert_accepted_and_refused({"type": "float"}, [0, 3.14, -(2**60), 1e300], ["3.14", False])


def test_a_boolean_is_true_or_false():
    assert _schema_of({"type": "bool"}) == {"type": "boolean"}
    _assert_accepted_and_refused({"type": "boolean"}, [True, False], ["true", 0, 1, None])


def test_a_date_is_a_day_of_the_calendar_leap_years_included():
    schema = _schema_of({"type": "date"})

    assert (schema["type"], schema["format"]) == ("string", "date")
    _assert_accepted_and_refused(
        {"type": "date"},
        ["2026-04-23", "2024-02-29", "2000-02-29", "0400-02-29", "0001-01-01", "9999-12-31"],
        ["2026-02-29", "1900-02-29", "2026-04-31", "2026-13-01", "2026-00-10", "0000-01-01",
         "2026-4-23", "23/04/2026", "2026-04-23\n", " 2026-04-23", "٢٠٢٦-04-23", 20260423],
    )  # fmt: skip


def test_a_time_has_no_zone_and_so_no_format_only_a_pattern():
    schema = _schema_of({"type": "time"})

    assert schema["type"] == "string" and "format" not in schema
    _assert_accepted_and_refused(
        {"type": "time"},
        ["00:00", "23:59", "14:30:00", "23:59:59.999999", "12:00:00.1"],
        ["24:00", "12:60", "23:59:60", "12:00:00.1234567", "12:00Z", "12:00:00+02:00",
         "9:30", "12:00\n", "noon"],
    )  # fmt: skip


def test_a_date_time_needs_a_zone_whose_offset_python_reads():
    schema = _schema_of({"type": "dateTime"})

    assert (schema["type"], schema["format"]) == ("string", "date-time")
    _assert_accepted_and_refused(
        {"type": "dateTime"},
        ["2026-04-23T12:00:00Z", "2026-04-23T12:00Z", "2024-02-29T23:59:59.5+05:30",
         "2026-04-23T12:00:00-00:00", "2026-04-23T12:00:00+23:59", "2026-04-23T12:00+01:99"],
        ["2026-04-23T12:00:00", "2026-04-23 12:00:00Z", "2026-04-23t12:00:00z",
         "2026-04-23T24:00:00Z", "2026-02-29T12:00:00Z", "2026-04-23T12:00:00+24:00",
         "2026-04-23T12:00:00+23:60", "2026-04-23T12:00:00+0200", "2026-04-23T12:00:00Z\n"],
    )  # fmt: skip


def test_a_duration_is_iso_8601_as_the_rule_reads_it():
    schema = _schema_of({"type": "duration"})

    assert (schema["type"], schema["format"]) == ("string", "duration")
    _assert_accepted_and_refused(
        {"type": "duration"},
        ["PT1H30M", "P1D", "P1Y2M3W4DT5H6M7.5S", "PT0S", "P٣D"],
        ["P", "PT", "PT1H30", "P1.5D", "p1d", "1H", "P1D\n", 90],
    )


@pytest.mark.parametrize("type_name", ["person", "group"])
def test_person_and_group_ids_are_digits_as_text_never_numbers(type_name):
    assert _schema_of({"type": type_name})["type"] == "string"
    _assert_accepted_and_refused(
        {"type": type_name}, ["481303514", "0"], [481303514, "", " 42", "42\n", "٤٢", "-1"]
    )


def test_a_dataset_is_a_uuid():
    schema = _schema_of({"type": "dataset"})

    assert (schema["type"], schema["format"]) == ("string", "uuid")
    _assert_accepted_and_refused(
        {"type": "dataset"},
        [UUID, UUID.upper()],
        [UUID.replace("-", ""), f"{{{UUID}}}", UUID + "\n", UUID[:-1] + "g", 42],
    )


def test_a_dataset_id_spelled_as_uuid_reads_it_but_not_canonically_is_refused_by_the_schema():
    spellings = ["urn:" + UUID.replace("-", ""), "0123-4567-89ab-cdef-0123456789abcdef",
                 " " + UUID[1:], "{" + UUID.replace("-", "", 2) + "}"]  # fmt: skip

    assert _verdicts({"type": "dataset"}, spellings) == [(False, True)] * len(spellings)


@pytest.mark.parametrize("type_name", ["account", "file", "directory", "ACCOUNT"])
def test_an_account_file_or_directory_is_an_id_as_text_or_an_object(type_name):
    assert _schema_of({"type": type_name})["type"] == ["string", "object"]
    _assert_accepted_and_refused(
        {"type": type_name},
        ["123", "   ", {"id": 123}, {}],
        ["", "{broken", ' {"id": 1}', "\n{", 123, [], True],
    )


def test_an_object_is_described_by_its_children_and_may_hold_other_keys():
    definition = {
        "type": "object",
        "children": [
            {"name": "city", "type": "text"},
            {"name": "zip", "type": "text", "nullable": True},
        ],
    }

    assert _schema_of(definition) == {
        "type": "object",
        "properties": {"city": {"type": "string"}, "zip": {"type": ["string", "null"]}},
        "required": ["city"],
    }
    _assert_accepted_and_refused(
        definition,
        [{"city": "Oslo"}, {"city": "Oslo", "zip": None}, {"city": "Oslo", "country": "NO"}],
        [{}, {"zip": "0150"}, {"city": None}, {"city": 7}, [], "Oslo"],
    )


def test_an_object_without_children_is_any_object():
    assert _schema_of({"type": "object"}) == {"type": "object"}
    _assert_accepted_and_refused(
        {"type": "object"}, [{}, {"any": [1, {"thing": None}]}], [[], "{}", None]
    )


def test_a_type_the_console_does_not_know_takes_any_value_but_null():
    _assert_accepted_and_refused({"type": "queue"}, ["a", 1, 1.5, True, {}, []], [None])
    _assert_accepted_and_refused({"type": "queue", "nullable": True}, [None, "a"], [])


def test_a_list_holds_items_of_its_type_never_null_and_may_itself_be_null():
    assert _schema_of({"type": "date", "isList": True, "nullable": True})["type"] == [
        "array",
        "null",
    ]
    _assert_accepted_and_refused(
        {"type": "number", "isList": True}, [[], [1, 2]], [None, 1, [1, None], [1.5], ["1"]]
    )
    _assert_accepted_and_refused(
        {"type": "number", "isList": True, "nullable": True}, [None, [3]], [[None], 3]
    )


def test_inputs_are_required_unless_nullable_and_no_other_key_is_allowed():
    parameters = normalise_parameters(
        [{"name": "region", "type": "text"}, {"name": "limit", "type": "number", "nullable": True}]
    )
    schema = input_schema(parameters)
    validator = _validator(schema)

    assert schema["required"] == ["region"]
    assert schema["additionalProperties"] is False
    for values, accepted in [
        ({"region": "north"}, True),
        ({"region": "north", "limit": None}, True),
        ({"limit": 5}, False),
        ({"region": "north", "regoin": "south"}, False),
    ]:
        assert validator.is_valid(values) is accepted
        assert (inputs_problems(parameters, values) == []) is accepted


def test_title_description_and_a_default_that_fits_are_given():
    [name, count, when] = input_schema(
        normalise_parameters(
            [
                {"name": "name", "displayName": "Your name", "description": "Who to greet.",
                 "type": "text", "value": "Ada"},
                {"name": "count", "type": "number", "value": "three"},
                {"name": "when", "type": "date", "isList": True, "value": ["2026-04-23"]},
            ]
        )
    )["properties"].values()  # fmt: skip

    assert name == {
        "title": "Your name",
        "description": "Who to greet.",
        "type": "string",
        "default": "Ada",
    }
    assert count == {"type": "integer"}, "a default that does not fit is left out"
    assert when["default"] == ["2026-04-23"]


def test_an_empty_definition_takes_an_empty_object_only():
    validator = _validator(input_schema([]))

    assert validator.is_valid({}) and not validator.is_valid({"x": 1})


# --- Patterns against the rules over every two-digit field --------------------------------

_PAIRS = [(first, second) for first in range(100) for second in range(100)]


def _disagreements(type_name: str, texts: list[str]) -> list[str]:
    """The texts that the type's pattern (searched for, as jsonschema does) and its rule
    judge differently."""
    matches = re.compile(_schema_of({"type": type_name})["pattern"]).search
    problem = TYPE_RULES[type_name].problem
    return [text for text in texts if bool(matches(text)) is not (problem(text) is None)]


def test_the_date_pattern_knows_every_month_length_and_leap_year():
    years = ["0000", "0001", "0004", "0100", "0400", "1900", "2000", "2023", "2024", "9999"]
    texts = [f"{year}-{month:02}-{day:02}" for year in years for month, day in _PAIRS]
    texts += [f"{year:04}-02-29" for year in range(10_000)]

    assert _disagreements("date", texts) == []


def test_the_time_pattern_knows_every_hour_minute_and_second():
    endings = ["", ":00", ":59", ":60", ":00.5", ":00.123456", ":00.1234567", "Z"]
    texts = [f"{hour:02}:{minute:02}{end}" for hour, minute in _PAIRS for end in endings]

    assert _disagreements("time", texts) == []


def test_the_date_time_pattern_knows_every_offset_python_reads():
    texts = [f"2024-02-29T{hour:02}:{minute:02}:59Z" for hour, minute in _PAIRS]
    texts += [
        f"2026-04-23T12:00{sign}{hours:02}:{minutes:02}"
        for sign in "+-"
        for hours, minutes in _PAIRS
    ]

    assert _disagreements("dateTime", texts) == []


# --- Rules JSON Schema cannot state: the schema is more permissive -------------------------


def test_a_whole_number_written_with_a_fraction_is_refused_by_the_rules_only():
    assert _verdicts({"type": "number"}, [1.0, 1e16]) == [(True, False), (True, False)]


def test_text_with_the_null_character_is_refused_by_the_rules_only():
    assert _verdicts({"type": "text"}, ["a\x00b"]) == [(True, False)]


# --- Output --------------------------------------------------------------------------------


def test_the_output_is_wrapped_as_the_result_of_an_object():
    output = normalise_output({"name": "greeting", "type": "text"})

    assert output_schema(output) == {
        "type": "object",
        "properties": {"result": {"type": "string"}},
        "required": ["result"],
    }


def test_an_output_list_of_objects_takes_the_same_rules():
    output = normalise_output(
        {"type": "object", "isList": True, "nullable": True,
         "children": [{"name": "owner", "type": "person"}]}
    )  # fmt: skip
    validator = _validator(output_schema(output))

    assert validator.is_valid({"result": [{"owner": "42"}]})
    assert validator.is_valid({"result": None})
    assert not validator.is_valid({"result": [{"owner": 42}]})
    assert not validator.is_valid({})


def test_a_function_without_an_output_has_no_output_schema():
    assert output_schema(normalise_output(None)) is None
    assert output_schema(normalise_output({})) is None


# --- Warnings ------------------------------------------------------------------------------


def test_warnings_name_inputs_without_description_at_any_depth():
    parameters = normalise_parameters(
        [
            {"name": "address", "type": "object", "description": "Where to deliver.",
             "children": [{"name": "city", "type": "text"},
                          {"name": "street", "type": "text", "description": "And number."}]},
        ]
    )  # fmt: skip

    assert schema_warnings(parameters) == [
        '"address.city" has no description, so a model knows it only by name.'
    ]


def test_warnings_name_objects_without_fields_and_types_the_console_does_not_know():
    parameters = normalise_parameters(
        [
            {"name": "settings", "type": "object", "description": "Options."},
            {"name": "queue", "type": "queue", "description": "A queue."},
        ]
    )

    assert schema_warnings(parameters) == [
        '"settings" is an object with no declared fields, so a model has to guess them.',
        '"queue" has a type the console does not know ("queue"), so any value is allowed.',
    ]


def test_warnings_name_look_alike_and_generic_names():
    described = "Something."
    parameters = normalise_parameters(
        [{"name": name, "type": "text", "description": described}
         for name in ["userId", "user_id", "User-ID", "data", "x", "param1", "region"]]
        + [{"name": "point", "type": "object", "description": described,
            "children": [{"name": n, "type": "decimal", "description": described}
                         for n in ["x", "y", "X"]]}]
    )  # fmt: skip

    assert schema_warnings(parameters) == [
        '"userId", "user_id" and "User-ID" differ only in case or punctuation, so a model may '
        "mix them up.",
        '"data" is a generic name that does not say what it is for.',
        '"x" is a generic name that does not say what it is for.',
        '"param1" is a generic name that does not say what it is for.',
        '"point.x" and "point.X" differ only in case or punctuation, so a model may mix them up.',
    ]


def test_a_well_described_definition_has_no_warnings():
    parameters = normalise_parameters(
        [{"name": "region", "type": "text", "description": "Sales region, e.g. north."}]
    )

    assert schema_warnings(parameters) == []


# --- Properties: any definition, any value ------------------------------------------------

PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)  # fmt: skip

TYPE_NAMES = ["text", "number", "decimal", "boolean", "date", "dateTime", "time", "duration",
              "person", "group", "dataset", "account", "file", "directory", "string", "INT",
              "float", "queue"]  # fmt: skip
_names = st.text(alphabet=string.ascii_letters + "_.-[]é中", min_size=1, max_size=6)


@st.composite
def _variables(draw, depth: int) -> dict:
    kind = draw(st.sampled_from([*TYPE_NAMES, "object", *(["nested"] * 3 if depth < 3 else [])]))
    variable = {
        "type": "object" if kind == "nested" else kind,
        "nullable": draw(st.booleans()),
        "isList": draw(st.booleans()),
    }
    if kind == "nested":
        variable["children"] = draw(_variable_lists(depth + 1, min_size=1))
    return variable


@st.composite
def _variable_lists(draw, depth: int = 1, min_size: int = 0) -> list[dict]:
    names = draw(st.lists(_names, min_size=min_size, max_size=4, unique=True))
    return [{"name": name, **draw(_variables(depth))} for name in names]


_zones = st.sampled_from(
    [UTC, *(timezone(timedelta(minutes=m)) for m in (120, -300, 330, -210, 840, 1439, -1439))]
)
_precisions = st.sampled_from(["minutes", "seconds", "milliseconds", "microseconds"])


def _without_zero_offset(text: str) -> str:
    return text[:-6] + "Z" if text.endswith("+00:00") else text


FITTING = {
    "text": st.text(
        st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=8
    ),
    "number": st.integers(),
    # Within a double's range: math.isfinite in the decimal rule cannot take larger ones.
    "decimal": st.integers(-(2**64), 2**64) | st.floats(allow_nan=False, allow_infinity=False),
    "boolean": st.booleans(),
    "date": st.dates().map(lambda day: day.isoformat()),
    "dateTime": st.builds(
        lambda moment, timespec: _without_zero_offset(moment.isoformat(timespec=timespec)),
        st.datetimes(timezones=_zones),
        _precisions,
    ),
    "time": st.builds(lambda moment, spec: moment.isoformat(spec), st.times(), _precisions),
    "duration": st.from_regex(ISO_DURATION, fullmatch=True),
    "person": st.from_regex(r"[0-9]{1,12}", fullmatch=True),
    "dataset": st.uuids().map(str) | st.uuids().map(lambda u: str(u).upper()),
    "account": st.text(min_size=1, max_size=6).filter(lambda t: not t.lstrip().startswith("{"))
    | st.dictionaries(st.text(max_size=3), st.integers() | st.text(max_size=3), max_size=2),
}  # fmt: skip
FITTING["group"] = FITTING["person"]
FITTING["file"] = FITTING["directory"] = FITTING["account"]

_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**64), 2**64)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                 max_size=3),
    max_leaves=6,
)  # fmt: skip


def _digits(most: int, width: int = 2):
    return st.integers(0, most).map(lambda number: str(number).zfill(width))


def _joined(*parts):
    return st.tuples(*parts).map("".join)


# Text shaped like each type's values with its numbers around and past their bounds: a
# month 13, a day 31 of a short month, 24 o'clock, second 60, an offset of +23:60...
_year_texts = _digits(9999, 4) | st.sampled_from(["0000", "1900", "2000", "2024", "2026"])
_day_texts = _joined(_year_texts, st.just("-"), _digits(13), st.just("-"), _digits(32))
_time_texts = _joined(
    _digits(25), st.just(":"), _digits(61),
    st.sampled_from(["", ":00", ":59", ":60", ":00.5", ":00.123456", ":00.1234567", ":5"]),
)  # fmt: skip
_zone_texts = st.sampled_from(["Z", "z", ""]) | _joined(
    st.sampled_from("+-"), _digits(25), st.sampled_from([":", ""]), _digits(99)
)
# (Not a space: the DataSet rule reads a UUID with a space at either end; see above.)
_uuid_with_one_change = st.builds(
    lambda text, at, character: text[:at] + character + text[at + 1 :],
    st.uuids().map(str), st.integers(0, 35), st.sampled_from("0aFgG-{}"),
)  # fmt: skip
_id_texts = st.from_regex(r"[-+ ]?[0-9]{0,4}[ ]?", fullmatch=True)
_number_texts = st.from_regex(r"-?[0-9]{1,3}(\.[0-9])?", fullmatch=True)
_entity_texts = _joined(
    st.sampled_from(["", " ", "\n", "\u3000", "x"]),
    st.sampled_from(["", "{", "}", '{"id": 1}', "1"]),
)
_SHAPED = {
    "date": _day_texts,
    "time": _time_texts | _joined(_time_texts, _zone_texts),
    "dateTime": _joined(_day_texts, st.sampled_from(["T", " ", "t"]), _time_texts, _zone_texts),
    "duration": st.from_regex(
        r"P([0-9.]{1,3}[YMWDHS]){0,3}(T([0-9.]{1,3}[YMWDHS]){0,3})?", fullmatch=True
    ),
    "person": _id_texts,
    "group": _id_texts,
    "dataset": _uuid_with_one_change,
    "number": _number_texts,
    "decimal": _number_texts,
    "account": _entity_texts,
    "file": _entity_texts,
    "directory": _entity_texts,
}
_NEAR_MISSES = st.sampled_from(
    ["", " ", "   ", "{", ' {"id": 1}', "true", "null", "1e3", "+42", "٤٢", "P٣D", "p1d",
     "2026-02-29", "2024-02-29", "1900-02-29", "0000-01-01", "24:00", "23:59:60",
     "2026-04-23T12:00", "2026-04-23T24:00:00Z", "2026-04-23T12:00+23:60", UUID.upper(),
     UUID.replace("-", ""), f"{{{UUID}}}", "text\x00with a null"]
)  # fmt: skip


_ANY_OBJECT = st.dictionaries(st.text(max_size=4), _json, max_size=3)
_ANY_BUT_NULL = _json.filter(lambda value: value is not None)


def _text_or_not(type_name: str):
    """Mostly a type's fitting values and text shaped like them, then near misses, any
    JSON, and each string with a line break after it."""
    text = _SHAPED.get(type_name, _NEAR_MISSES)
    fitting = FITTING.get(type_name, _ANY_OBJECT)
    return st.one_of(
        fitting,
        fitting,
        text,
        text,
        _NEAR_MISSES,
        _json,
        fitting.map(lambda value: value + "\n" if isinstance(value, str) else value),
        text.map(lambda value: value + "\n"),
    )


_ANY_ELEMENT = {type_name: _text_or_not(type_name) for type_name in [*FITTING, "object"]}


def _fitting(parameter: dict, *, item: bool = False):
    if parameter["isList"] and not item:
        value = st.lists(_fitting(parameter, item=True), max_size=3)
    elif parameter["type"] == "object" and parameter["children"]:
        value = _objects(parameter["children"], _fitting, all_required=True)
    elif parameter["type"] == "object":
        value = _ANY_OBJECT
    else:
        value = FITTING.get(parameter["type"], _ANY_BUT_NULL)
    return st.none() | value if parameter["nullable"] and not item else value


def _any(parameter: dict, *, item: bool = False):
    """Values fitting or not: see _text_or_not; lists for scalars and scalars for lists;
    objects with keys missing or added."""
    if parameter["isList"] and not item:
        element = _any(parameter, item=True)
        value = st.lists(element, max_size=3) | element
    elif parameter["type"] == "object" and parameter["children"]:
        value = _objects(parameter["children"], _any, all_required=False) | _json
    else:
        value = _ANY_ELEMENT.get(parameter["type"], _ANY_ELEMENT["object"])
    return st.none() | value


def _objects(children: list[dict], values_for, *, all_required: bool, others: bool = True):
    """Objects with the children's values (the required ones always, unless
    `all_required` is off) and, with `others`, sometimes keys of no child."""
    names = {child["name"] for child in children}
    required = {c["name"]: values_for(c) for c in children if all_required and not c["nullable"]}
    optional = {c["name"]: values_for(c) for c in children if c["name"] not in required}
    declared = st.fixed_dictionaries(required, optional=optional)
    if not others:
        return declared
    other_keys = st.text(max_size=3).filter(lambda key: key not in names)
    return st.builds(
        lambda values, more: {**more, **values},
        declared,
        st.dictionaries(other_keys, _json, max_size=2),
    )


@st.composite
def _definitions_with_values(draw, *, fitting: bool):
    parameters = normalise_parameters(draw(_variable_lists()))
    if fitting:
        values = draw(_objects(parameters, _fitting, all_required=True, others=False))
    else:
        values = draw(_objects(parameters, _any, all_required=False))
    return parameters, values


def _more_permissive(message: str) -> bool:
    """A problem the rules find that the schema cannot state (see the module docstring)."""
    fraction = re.fullmatch(r"expected a whole number \(e\.g\. 42\), got (.+)", message)
    if fraction:
        try:
            return float(fraction[1]).is_integer()
        except ValueError:
            return False
    return message.endswith("(text cannot contain the null character)")


@PROPERTY_SETTINGS
@given(_definitions_with_values(fitting=True))
def test_every_value_the_rules_accept_the_schema_accepts(case):
    parameters, values = case
    assert inputs_problems(parameters, values) == [], "the values drawn fit"

    errors = [error.message for error in _validator(input_schema(parameters)).iter_errors(values)]

    assert errors == []


def _nodes(parameter: dict, schema: dict, value):
    """The value with its parameter and schema, then each item of a list and each child
    of an object in it, with theirs."""
    yield parameter, schema, value
    if parameter["isList"] and isinstance(value, list):
        item = {**parameter, "isList": False, "nullable": False}
        for element in value:
            yield from _nodes(item, schema["items"], element)
    elif not parameter["isList"] and parameter["children"] and isinstance(value, dict):
        for child in parameter["children"]:
            if child["name"] in value:
                child_schema = schema["properties"][child["name"]]
                yield from _nodes(child, child_schema, value[child["name"]])


def _assert_agree(problems: list[tuple[str, str]], accepted: bool) -> None:
    if not problems:
        assert accepted
    if accepted:
        assert [problem for problem in problems if not _more_permissive(problem[1])] == []


@PROPERTY_SETTINGS
@given(_definitions_with_values(fitting=False))
def test_the_schema_refuses_what_the_rules_refuse_where_it_can_say_so(case):
    parameters, values = case
    schema = input_schema(parameters)

    _assert_agree(inputs_problems(parameters, values), _validator(schema).is_valid(values))
    for parameter in parameters:
        name = parameter["name"]
        if name not in values:
            continue
        for node, subschema, value in _nodes(parameter, schema["properties"][name], values[name]):
            _assert_agree(
                value_problems(node, value, name), Draft202012Validator(subschema).is_valid(value)
            )


@pytest.mark.parametrize("type_name", [*TYPE_NAMES, "object"])
@settings(PROPERTY_SETTINGS, max_examples=60)
@given(data=st.data())
def test_each_type_agrees_with_its_rule_value_by_value(type_name, data):
    [parameter] = normalise_parameters(
        [{"name": "x", "type": type_name, "nullable": data.draw(st.booleans()),
          "isList": data.draw(st.booleans())}]
    )  # fmt: skip
    value = data.draw(_any(parameter))

    for node, subschema, item in _nodes(parameter, _schema_of(parameter), value):
        _assert_agree(value_problems(node, item, "x"), _validator(subschema).is_valid(item))


@st.composite
def _definitions_with_defaults(draw):
    parameters = normalise_parameters(draw(_variable_lists()))

    def with_default(parameter: dict) -> dict:
        default = draw(_any(parameter))
        children = [with_default(child) for child in parameter["children"]]
        return {**parameter, "default": default, "children": children}

    return [with_default(parameter) for parameter in parameters]


def _with_defaults(schema: dict):
    """Every subschema that gives a default."""
    pending = [schema]
    while pending:
        subschema = pending.pop()
        if "default" in subschema:
            yield subschema
        pending += subschema.get("properties", {}).values()
        if isinstance(subschema.get("items"), dict):
            pending.append(subschema["items"])


@PROPERTY_SETTINGS
@given(_definitions_with_defaults())
def test_every_default_given_fits_its_own_schema(parameters):
    for subschema in _with_defaults(input_schema(parameters)):
        assert _validator(subschema).is_valid(subschema["default"])
