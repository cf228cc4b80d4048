"""The generated form turns what a person types into the inputVariables Domo expects."""

import pytest

from codeengine_ui.parameters.definitions import normalise_parameters
from codeengine_ui.parameters.forms import InputVariablesForm


def _form(definition: list[dict], data: dict) -> InputVariablesForm:
    return InputVariablesForm(
        normalise_parameters(definition), {f"input-{key}": value for key, value in data.items()}
    )


def _sent(definition: list[dict], data: dict) -> dict:
    form = _form(definition, data)
    assert form.is_valid(), form.errors
    return form.input_variables()


@pytest.mark.parametrize(
    ("type_name", "typed", "sent"),
    [
        ("text", "  hello  ", "  hello  "),
        ("number", "42", 42),
        ("decimal", "0.1", 0.1),
        ("decimal", "12.50", 12.5),
        ("date", "2026-04-23", "2026-04-23"),
        ("dateTime", "2026-04-23T12:00:00Z", "2026-04-23T12:00:00Z"),
        ("dateTime", "2026-04-23T14:00:00+02:00", "2026-04-23T14:00:00+02:00"),
        ("time", "14:30", "14:30:00"),
        ("time", "14:30:05", "14:30:05"),
        ("duration", "PT1H30M", "PT1H30M"),
        ("person", "481303514", "481303514"),
        ("group", "42", "42"),
        ("dataset", "8C1B5E2A-6F3D-4A9B-B1C7-2D4E6F8A0B1C", "8c1b5e2a-6f3d-4a9b-b1c7-2d4e6f8a0b1c"),
        ("account", "77", "77"),
    ],
)
def test_scalar_values_are_sent_as_domo_expects(type_name, typed, sent):
    assert _sent([{"name": "x", "type": type_name}], {"x": typed}) == {"x": sent}


def test_decimal_keeps_its_digits():
    assert repr(_sent([{"name": "x", "type": "decimal"}], {"x": "0.1"})["x"]) == "0.1"


def test_checkbox_boolean_sends_true_or_false():
    definition = [{"name": "flag", "type": "boolean"}]

    assert _sent(definition, {"flag": "on"}) == {"flag": True}
    assert _sent(definition, {}) == {"flag": False}


@pytest.mark.parametrize(("choice", "sent"), [("true", True), ("false", False), ("", None)])
def test_nullable_boolean_is_a_three_way_choice(choice, sent):
    assert _sent([{"name": "flag", "type": "boolean", "nullable": True}], {"flag": choice}) == {
        "flag": sent
    }


def test_every_declared_input_is_sent_and_empty_nullable_is_null():
    definition = [
        {"name": "a", "type": "text", "nullable": True},
        {"name": "b", "type": "number", "nullable": True},
        {"name": "c", "type": "object", "nullable": True},
    ]

    assert _sent(definition, {}) == {"a": None, "b": None, "c": None}


def test_empty_required_input_is_an_error_in_words():
    form = _form([{"name": "name", "displayName": "Name", "type": "text"}], {"name": ""})

    assert not form.is_valid()
    assert form.errors["name"] == ["This field is required."]


@pytest.mark.parametrize(
    ("type_name", "typed", "error"),
    [
        ("number", "4.5", "Enter a whole number."),
        ("dateTime", "2026-04-23T12:00:00", "Add a time zone: Z for UTC, or an offset"),
        ("dateTime", "yesterday", "Enter a date and time in ISO 8601"),
        ("duration", "90 minutes", "Enter an ISO 8601 duration"),
        ("duration", "about P1D", "Enter an ISO 8601 duration"),
        ("duration", "P", "Enter an ISO 8601 duration"),
        ("person", "ada@example.com", "Enter the Domo person id: digits only."),
        ("dataset", "not-a-uuid", "Enter the DataSet id (a UUID)."),
        ("object", "{broken", "This is not valid JSON"),
        ("object", "[1, 2]", "Enter a JSON object"),
    ],
)
def test_wrong_values_are_refused_with_a_clear_message(type_name, typed, error):
    form = _form([{"name": "x", "type": type_name}], {"x": typed})

    assert not form.is_valid()
    assert form.errors["x"][0].startswith(error)


def test_lists_and_objects_are_entered_as_json():
    definition = [
        {"name": "values", "type": "decimal", "isList": True},
        {"name": "order", "type": "object", "children": [{"name": "id", "type": "text"}]},
    ]

    sent = _sent(definition, {"values": "[1.5, 2.5]", "order": '{"id": "A-1"}'})

    assert sent == {"values": [1.5, 2.5], "order": {"id": "A-1"}}


def test_list_input_refuses_a_single_value():
    form = _form([{"name": "values", "type": "number", "isList": True}], {"values": "3"})

    assert not form.is_valid()
    assert form.errors["values"] == ["Enter a JSON list, e.g. [1, 2]."]


def test_unknown_type_falls_back_to_json_with_a_note():
    form = InputVariablesForm(normalise_parameters([{"name": "q", "type": "queue"}]))

    assert 'Unknown type "queue": enter the value as JSON.' in form.fields["q"].help_text


def test_defaults_prefill_the_form_and_previous_inputs_win():
    parameters = normalise_parameters(
        [
            {"name": "name", "type": "text", "value": "World"},
            {"name": "excited", "type": "boolean", "nullable": True, "value": False},
            {"name": "tags", "type": "text", "isList": True, "value": ["a"]},
        ]
    )

    defaults = InputVariablesForm(parameters)
    previous = InputVariablesForm(parameters, initial_values={"name": "Ada", "excited": True})

    assert [defaults[name].value() for name in ("name", "excited")] == ["World", "false"]
    assert defaults["tags"].value() == '[\n  "a"\n]'
    assert [previous[name].value() for name in ("name", "excited")] == ["Ada", "true"]
