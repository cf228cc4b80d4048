"""The JSON tab: the exact inputVariables, editable, reported field by field."""

import json

from django.http import QueryDict

from codeengine_ui.parameters.definitions import normalise_parameters
from codeengine_ui.parameters.editor import InputsEditor

from .editor_helpers import browser_post, render

DEFINITION = normalise_parameters([
    {"name": "name", "type": "text"},
    {"name": "count", "type": "number"},
    {"name": "ratio", "type": "decimal", "nullable": True},
    {"name": "order", "type": "object", "children": [
        {"name": "lines", "type": "object", "isList": True, "children": [
            {"name": "sku", "type": "text"}, {"name": "quantity", "type": "number"}]}]},
])  # fmt: skip


def _json_editor(text: str) -> InputsEditor:
    return InputsEditor(
        DEFINITION, QueryDict(mutable=True) | {"editor_mode": "json", "inputs_json": text}
    )


def test_switching_to_json_shows_exactly_what_would_be_sent():
    values = {
        "name": "Ada",
        "count": 3,
        "ratio": 0.1,
        "order": {"lines": [{"sku": "X", "quantity": 2}]},
    }
    editor = InputsEditor(DEFINITION, browser_post(DEFINITION, values, action="mode:json"))

    editor.perform("mode:json")

    assert editor.mode == "json"
    assert json.loads(editor.json_text) == values
    assert '"ratio": 0.1,' in editor.json_text
    assert 'name="inputs_json"' in render(editor)


def test_text_that_does_not_parse_yet_is_carried_over_as_text():
    editor = InputsEditor(
        DEFINITION,
        browser_post(DEFINITION, {"count": 1}, typed={"count": "three"}, action="mode:json"),
    )

    editor.perform("mode:json")

    assert json.loads(editor.json_text)["count"] == "three"


def test_switching_back_refills_the_form_and_reports_each_misfit_at_its_field():
    editor = _json_editor(
        json.dumps(
            {
                "name": 42,
                "count": "three",
                "ratio": None,
                "order": {"lines": [{"sku": "X", "quantity": 1.5}]},
                "extra": True,
            }
        )
    )

    editor.perform("mode:form")

    assert editor.mode == "form"
    found = {node.path: node.errors for node in editor.all_nodes() if node.errors}
    assert found == {
        "name": ["Expected text, got 42."],
        "count": ['Expected a whole number (e.g. 42), got text "three".'],
        "order.lines[0].quantity": ["Expected a whole number (e.g. 42), got 1.5."],
    }
    assert editor.general_errors == ["extra: not an input of this function"]
    assert [node.text for node in editor.nodes[:2]] == ["42", "three"]


def test_invalid_json_keeps_the_json_tab_with_the_position():
    editor = _json_editor('{"name": "Ada",}')

    editor.perform("mode:form")

    assert editor.mode == "json"
    assert editor.general_errors == [
        "This is not valid JSON: Illegal trailing comma before end of object (line 1, column 15)."
    ]


def test_running_from_json_sends_it_as_written():
    editor = _json_editor('{"order": {"lines": []}, "count": 2, "name": "Ada", "ratio": 0.1}')

    assert editor.is_valid()
    assert editor.input_variables() == {
        "name": "Ada",
        "count": 2,
        "ratio": 0.1,
        "order": {"lines": []},
    }


def test_missing_nullable_input_is_sent_as_null_and_missing_required_is_refused():
    assert not _json_editor('{"name": "Ada", "order": {"lines": []}}').is_valid()

    editor = _json_editor('{"name": "Ada", "count": 1, "order": {"lines": []}}')

    assert editor.is_valid()
    assert editor.input_variables()["ratio"] is None


def test_json_problems_are_listed_by_path():
    editor = _json_editor('{"name": "Ada", "count": 1, "order": {"lines": [{"sku": "X"}]}}')

    assert not editor.is_valid()
    assert editor.json_problems == [
        "order.lines[0].quantity: required but missing: expected a whole number (e.g. 42)"
    ]


def test_a_number_that_would_lose_digits_is_refused():
    editor = _json_editor(
        '{"name": "A", "count": 1, "ratio": 0.30000000000000000001, "order": {"lines": []}}'
    )

    assert not editor.is_valid()
    assert editor.general_errors == [
        "0.30000000000000000001 has more digits than a JSON number keeps; it would be sent as 0.3."
    ]


def test_inputs_must_be_a_json_object():
    editor = _json_editor("[1, 2]")

    assert not editor.is_valid()
    assert editor.general_errors == ["inputVariables must be a JSON object with one key per input."]
