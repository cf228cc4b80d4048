"""The inputs editor turns what a person enters into the inputVariables Domo expects.

Each test shows the editor, types into it and posts what a browser would post."""

import pytest

from codeengine_ui.parameters.definitions import normalise_parameters
from codeengine_ui.parameters.editor import InputsEditor

from .editor_helpers import browser_post, errors, posted_editor, render, resent, sent


@pytest.mark.parametrize(
    ("type_name", "typed", "expected"),
    [
        ("text", "  hello  ", "  hello  "),
        ("text", " ", " "),
        ("text", "Zoë 🚀 中文", "Zoë 🚀 中文"),
        ("number", "42", 42),
        ("number", "-7", -7),
        ("number", "0", 0),
        ("decimal", "0.1", 0.1),
        ("decimal", "12.50", 12.5),
        ("decimal", "3", 3),
        ("decimal", "-1e-7", -1e-07),
        ("date", "2024-02-29", "2024-02-29"),
        ("time", "14:30", "14:30:00"),  # a browser time field drops zero seconds: put back
        ("text", "id,name\n1,Ann\r\n2,Bob\n", "id,name\n1,Ann\n2,Bob\n"),  # posted as CRLF
        ("time", "23:59:59", "23:59:59"),
        ("duration", "PT1H30M", "PT1H30M"),
        ("duration", "P2D", "P2D"),
        ("person", "481303514", "481303514"),
        ("group", "42", "42"),
        ("dataset", "8c1b5e2a-6f3d-4a9b-b1c7-2d4e6f8a0b1c", "8c1b5e2a-6f3d-4a9b-b1c7-2d4e6f8a0b1c"),
        ("ACCOUNT", "77", "77"),
        ("FILE", "abc-1", "abc-1"),
        ("directory", "12", "12"),
    ],
)
def test_each_type_sends_what_domo_expects(type_name, typed, expected):
    result = sent([{"name": "x", "type": type_name}], typed={"x": typed})

    assert result == {"x": expected}
    assert type(result["x"]) is type(expected)


def test_decimal_keeps_its_digits():
    assert repr(sent([{"name": "x", "type": "decimal"}], typed={"x": "0.1"})["x"]) == "0.1"


@pytest.mark.parametrize(
    ("local", "zone", "expected"),
    [
        ("2026-04-23T12:00:00", "UTC", "2026-04-23T12:00:00Z"),
        # A browser's field drops zero seconds; Code Engine gets them back.
        ("2026-04-23T12:00", "Z", "2026-04-23T12:00:00Z"),
        ("2026-04-23T14:00:00", "+02:00", "2026-04-23T14:00:00+02:00"),
        ("2026-01-15T09:30:00", "America/New_York", "2026-01-15T09:30:00-05:00"),
        ("2026-07-15T09:30:00", "America/New_York", "2026-07-15T09:30:00-04:00"),
        ("2026-03-01T08:00:00", "Asia/Kolkata", "2026-03-01T08:00:00+05:30"),
        ("2024-02-29T23:59:59", "-0330", "2024-02-29T23:59:59-03:30"),
    ],
)
def test_date_time_is_sent_with_its_zone_offset(local, zone, expected):
    definition = [{"name": "when", "type": "dateTime"}]

    assert sent(definition, typed={"when": local, "when#tz": zone}) == {"when": expected}


def test_date_time_from_a_value_shows_the_local_time_and_zone():
    editor = InputsEditor(
        normalise_parameters([{"name": "when", "type": "dateTime"}]),
        values={"when": "2026-04-23T14:00:00+02:00"},
    )

    [node] = editor.nodes
    assert (node.text, node.zone) == ("2026-04-23T14:00:00", "+02:00")
    assert sent(
        [{"name": "when", "type": "dateTime"}], values={"when": "2026-04-23T12:00:00Z"}
    ) == {"when": "2026-04-23T12:00:00Z"}


def test_checkbox_boolean_sends_true_or_false():
    definition = [{"name": "flag", "type": "boolean"}]

    assert sent(definition, values={"flag": True}) == {"flag": True}
    assert sent(definition, values={"flag": False}) == {"flag": False}


@pytest.mark.parametrize("value", [True, False, None])
def test_nullable_boolean_is_a_three_way_choice(value):
    definition = [{"name": "flag", "type": "boolean", "nullable": True}]

    assert sent(definition, values={"flag": value}) == {"flag": value}


def test_every_declared_input_is_sent_and_empty_nullable_is_null():
    definition = [
        {"name": "a", "type": "text", "nullable": True},
        {"name": "b", "type": "number", "nullable": True},
        {"name": "c", "type": "object", "nullable": True},
        {"name": "d", "type": "dateTime", "nullable": True},
        {"name": "e", "type": "text", "isList": True, "nullable": True},
    ]

    assert sent(definition) == {"a": None, "b": None, "c": None, "d": None, "e": None}


def test_empty_required_input_is_an_error_in_words():
    assert errors([{"name": "name", "type": "text"}]) == {"name": ["Required: expected text."]}


@pytest.mark.parametrize(
    ("type_name", "typed", "error"),
    [
        ("number", "4.5", "Expected a whole number (e.g. 42), got 4.5."),
        ("number", "1e3", "Expected a whole number (e.g. 42), got 1000.0."),
        ("decimal", "abc", 'Expected a number (e.g. 3.14), got text "abc".'),
        ("decimal", "NaN", 'Expected a number (e.g. 3.14), got text "NaN".'),
        ("decimal", "1,5", "Use a point for the decimals: write 1.5, not 1,5."),
        (
            "number",
            "99999999999999999999999",
            "99,999,999,999,999,999,999,999 is beyond ±9,007,199,254,740,991: a JavaScript "
            "function would receive it rounded.",
        ),
        ("number", "-9007199254740992", "-9,007,199,254,740,992 is beyond ±9,007,199,254,740,991"),
        (
            "decimal",
            "0.12345678901234567890",
            "0.12345678901234567890 has more digits than a JSON number keeps; it would be sent "
            "as 0.12345678901234568.",
        ),
        (
            "date",
            "2023-02-29",
            'Expected a date as YYYY-MM-DD, got text "2023-02-29" (no such day).',
        ),
        ("date", "23/04/2026", 'Expected a date as YYYY-MM-DD, got text "23/04/2026".'),
        ("time", "25:00", 'Expected a time as HH:MM:SS (or HH:MM), got text "25:00" (no such time'),
        ("duration", "90 minutes", "Expected an ISO 8601 duration (e.g. PT1H30M), got text"),
        ("duration", "P", 'Expected an ISO 8601 duration (e.g. PT1H30M), got text "P".'),
        ("person", " 42", 'Expected a person id: digits, as text, got text " 42".'),
        ("person", "ada@example.com", "Expected a person id: digits, as text, got text"),
        ("dataset", "not-a-uuid", 'Expected a DataSet id (a UUID), got text "not-a-uuid".'),
        ("object", "{broken", "This is not valid JSON: Expecting property name"),
        ("object", "[1, 2]", "Expected an object, got a list."),
        ("text", "nul\x00byte", "Expected text, got text"),
    ],
)
def test_wrong_values_are_refused_with_a_clear_message(type_name, typed, error):
    [(path, messages)] = errors([{"name": "x", "type": type_name}], typed={"x": typed}).items()

    assert path == "x"
    assert messages[0].startswith(error)


@pytest.mark.parametrize(
    ("local", "zone", "error"),
    [
        ("2026-04-23T12:00:00", "", 'got text "2026-04-23T12:00:00" (no time zone).'),
        ("2026-04-23T12:00:00", "Mars/Olympus", '"Mars/Olympus" is not a time zone'),
        ("2026-04-23T12:00:00", "+25:00", "+25:00 is not a time-zone offset."),
        ("2026-04-23", "UTC", 'got text "2026-04-23".'),
        ("tomorrow", "UTC", 'got text "tomorrow".'),
    ],
)
def test_date_time_needs_a_real_date_time_and_zone(local, zone, error):
    found = errors([{"name": "when", "type": "dateTime"}], typed={"when": local, "when#tz": zone})

    assert error in found["when"][0]


LIST_OF_OBJECTS = [
    {
        "name": "order",
        "type": "object",
        "children": [
            {"name": "orderId", "type": "text"},
            {
                "name": "lines",
                "type": "object",
                "isList": True,
                "children": [
                    {"name": "sku", "type": "text"},
                    {"name": "quantity", "type": "number"},
                    {"name": "serials", "type": "text", "isList": True},
                ],
            },
            {"name": "note", "type": "text", "nullable": True},
        ],
    }
]


def test_nested_lists_of_objects_round_trip():
    value = {
        "order": {
            "orderId": "A-1",
            "note": None,
            "lines": [
                {"sku": "X", "quantity": 2, "serials": ["s1", "s2"]},
                {"sku": "Y", "quantity": 1, "serials": []},
            ],
        }
    }

    assert sent(LIST_OF_OBJECTS, values=value) == value


def test_list_of_one_and_empty_list():
    definition = [{"name": "tags", "type": "text", "isList": True}]

    assert sent(definition, values={"tags": ["only"]}) == {"tags": ["only"]}
    assert sent(definition, values={"tags": []}) == {"tags": []}


def test_nullable_list_can_be_sent_as_null_or_as_a_list():
    definition = [{"name": "tags", "type": "text", "isList": True, "nullable": True}]

    assert sent(definition, values={"tags": None}) == {"tags": None}
    assert sent(definition, values={"tags": []}) == {"tags": []}
    assert sent(definition, values={"tags": ["a"]}) == {"tags": ["a"]}


def test_nullable_object_with_children_can_be_sent_as_null():
    definition = [
        {
            "name": "filter",
            "type": "object",
            "nullable": True,
            "children": [{"name": "field", "type": "text"}],
        }
    ]

    assert sent(definition, values={"filter": None}) == {"filter": None}
    assert sent(definition, values={"filter": {"field": "region"}}) == {
        "filter": {"field": "region"}
    }


def test_errors_inside_lists_name_the_item():
    value = {
        "order": {
            "orderId": "A-1",
            "note": None,
            "lines": [{"sku": "X", "quantity": 1, "serials": []}],
        }
    }

    found = errors(LIST_OF_OBJECTS, values=value, typed={"order.lines[0].quantity": "many"})

    assert found == {
        "order.lines[0].quantity": ['Expected a whole number (e.g. 42), got text "many".']
    }


def test_empty_list_item_must_be_filled_or_removed():
    found = errors([{"name": "tags", "type": "text", "isList": True}], values={"tags": [""]})

    assert found == {"tags[0]": ["Fill in or remove this item: expected text."]}


def _after(definition, values, action, typed=None) -> InputsEditor:
    parameters = normalise_parameters(definition)
    editor = InputsEditor(parameters, browser_post(parameters, values, typed, action))
    editor.perform(action)
    return editor


def test_adding_an_item_keeps_every_value_typed_so_far():
    definition = [
        {"name": "title", "type": "text"},
        {"name": "tags", "type": "text", "isList": True},
    ]

    editor = _after(
        definition,
        {"title": "", "tags": ["a"]},
        "list:add:in.1",
        typed={"title": "typed, not saved"},
    )
    html = render(editor)

    assert ">\ntyped, not saved</textarea>" in html
    assert [node.name for node in editor.nodes[1].children] == ["in.1.0", "in.1.1"]
    assert "Fill in or remove this item" not in html, "an editing action shows no errors"


def test_items_can_be_moved_and_removed():
    definition = [{"name": "tags", "type": "text", "isList": True}]
    values = {"tags": ["a", "b", "c"]}

    assert resent(_after(definition, values, "list:up:in.0:2")) == {"tags": ["a", "c", "b"]}
    assert resent(_after(definition, values, "list:down:in.0:0")) == {"tags": ["b", "a", "c"]}
    assert resent(_after(definition, values, "list:remove:in.0:1")) == {"tags": ["a", "c"]}


def test_moving_an_object_item_moves_its_nested_values():
    value = {
        "order": {
            "orderId": "A-1",
            "note": None,
            "lines": [
                {"sku": "X", "quantity": 2, "serials": ["s1"]},
                {"sku": "Y", "quantity": 1, "serials": ["s2", "s3"]},
            ],
        }
    }

    editor = _after(LIST_OF_OBJECTS, value, "list:down:in.0.1:0")

    assert resent(editor)["order"]["lines"] == [
        {"sku": "Y", "quantity": 1, "serials": ["s2", "s3"]},
        {"sku": "X", "quantity": 2, "serials": ["s1"]},
    ]


def test_new_object_item_starts_from_the_children_defaults():
    definition = [
        {
            "name": "lines",
            "type": "object",
            "isList": True,
            "children": [{"name": "quantity", "type": "number", "value": 1}],
        }
    ]

    editor = _after(definition, {"lines": []}, "list:add:in.0")

    assert resent(editor) == {"lines": [{"quantity": 1}]}


def test_defaults_prefill_and_previous_inputs_win():
    parameters = normalise_parameters(
        [
            {"name": "name", "type": "text", "value": "World"},
            {"name": "excited", "type": "boolean", "nullable": True, "value": False},
        ]
    )

    defaults = InputsEditor(parameters)
    previous = InputsEditor(parameters, values={"name": "Ada", "excited": True})

    assert [node.text for node in defaults.nodes] == ["World", "false"]
    assert [node.text for node in previous.nodes] == ["Ada", "true"]


def test_labels_prefer_display_name_and_show_descriptions():
    editor = InputsEditor(
        normalise_parameters(
            [
                {
                    "name": "q",
                    "displayName": "Query",
                    "description": "What to find",
                    "type": "text",
                },
                {"alias": "appName", "type": "text"},
            ]
        )
    )

    html = render(editor)

    assert ">Query</label>" in html and "What to find" in html
    assert ">appName</label>" in html


def test_unknown_type_is_a_json_field_with_a_note():
    editor = InputsEditor(normalise_parameters([{"name": "q", "type": "queue"}]))

    assert "Unknown type &quot;queue&quot;: enter the value as JSON." in render(editor)
    assert sent([{"name": "q", "type": "queue"}], typed={"q": '{"id": 3}'}) == {"q": {"id": 3}}


def test_browser_validation_marks_required_fields_only():
    html = render(
        InputsEditor(
            normalise_parameters(
                [
                    {"name": "a", "type": "number"},
                    {"name": "b", "type": "number", "nullable": True},
                ]
            )
        )
    )

    assert 'name="in.0" value="" step="1" required' in html
    assert 'name="in.1" value="" step="1">' in html


def test_the_json_tab_still_sends_a_whole_number_past_javascript_s_range():
    parameters = normalise_parameters([{"name": "big", "type": "number"}])
    editor = InputsEditor(
        parameters, {"editor_mode": "json", "inputs_json": '{"big": 99999999999999999999999}'}
    )

    assert editor.is_valid()
    assert editor.input_variables() == {"big": 99999999999999999999999}


def test_a_refused_value_stays_in_its_field_beside_the_message():
    editor = posted_editor(
        [{"name": "count", "type": "number"}, {"name": "day", "type": "date"}],
        typed={"count": "4.5", "day": "23/04/2026"},
    )
    assert not editor.is_valid()

    html = render(editor)

    # Drawn as text: a number or date field would show these values blank.
    assert 'type="text" id="f-in-0" name="in.0" value="4.5"' in html
    assert 'type="text" id="f-in-1" name="in.1" value="23/04/2026"' in html
    assert "Expected a whole number (e.g. 42), got 4.5." in html


def test_an_id_holding_a_line_break_is_shown_whole_and_refused_not_silently_joined():
    definition = [{"name": "people", "type": "person", "isList": True}]
    values = {"people": ["481303514", "12\n3"]}
    editor = InputsEditor(normalise_parameters(definition), values=values)

    html = render(editor)

    assert "chip-input" not in html  # a one-line chip would post 123
    assert ">\n12\n3</textarea>" in html


def test_a_loaded_number_the_form_would_refuse_is_flagged_as_the_form_opens():
    parameters = normalise_parameters([{"name": "n", "type": "number"}])

    opened = InputsEditor(parameters, values={"n": 2**53 + 1})
    posted = {"editor_mode": "json", "inputs_json": '{"n": 100000000000000000000}'}
    switched = InputsEditor(parameters, posted)
    switched.perform("mode:form")

    for editor in (opened, switched):
        [node] = editor.nodes
        assert "beyond ±9,007,199,254,740,991" in node.errors[0]
        assert "The JSON tab sends it exactly" in node.errors[0]


def test_an_inputs_entity_subtype_from_domo_is_shown_at_its_field():
    definition = [{"name": "ds", "type": "DATASET", "entitySubType": "dataflow-output"}]

    html = render(InputsEditor(normalise_parameters(definition)))

    assert "Domo&#x27;s entitySubType: dataflow-output." in html
