"""Defaults from Domo's own definitions that do not fit their types, and account, file and
directory values: the form opens usable and sends only what it would accept."""

import pytest

from codeengine_ui.parameters.definitions import normalise_parameters
from codeengine_ui.parameters.editor import InputsEditor
from tests.html_forms import submitted_fields

from .editor_helpers import errors, render, sent

QUERY = {
    "name": "query",
    "type": "object",
    "value": {"field": None, "values": [], "operator": "EQ", "filterType": "value"},
    "children": [
        {"name": "field", "type": "text", "nullable": False},
        {"name": "values", "type": "text", "isList": True, "value": []},
        {"name": "operator", "type": "text"},
        {"name": "filterType", "type": "text"},
    ],
}


def _opened(definition) -> InputsEditor:
    return InputsEditor(normalise_parameters(definition))


def test_an_object_default_that_is_a_list_is_left_out_with_a_note():
    definition = [{"name": "settings", "type": "object", "value": [], "nullable": True}]
    editor = _opened(definition)

    html = render(editor)

    assert not editor.has_errors
    assert editor.nodes[0].text == ""
    assert "Domo&#x27;s definition gives [] as the default here, but it is not usable" in html
    assert "expected an object, got a list" in html
    assert sent(definition) == {"settings": None}


def test_a_required_object_whose_default_is_a_list_asks_for_a_value_not_the_list():
    definition = [{"name": "settings", "type": "object", "value": []}]

    assert not _opened(definition).has_errors
    assert errors(definition) == {"settings": ["Required: expected an object."]}


def test_an_object_default_with_a_null_child_opens_without_errors_and_keeps_the_rest():
    editor = _opened([QUERY])

    assert not editor.has_errors
    by_path = {node.path: node for node in editor.all_nodes()}
    assert by_path["query.field"].text == ""
    assert by_path["query.operator"].text == "EQ"
    assert by_path["query.values"].children == []
    assert errors([QUERY]) == {"query.field": ["Required: expected text."]}
    assert sent([QUERY], typed={"query.field": "region"}) == {
        "query": {"field": "region", "values": [], "operator": "EQ", "filterType": "value"}
    }


def test_a_child_default_that_does_not_fit_is_left_out_and_the_rest_prefilled():
    definition = [
        {**QUERY, "value": {"field": 42, "values": ["north", 7], "operator": "EQ"}},
    ]
    editor = _opened(definition)

    by_path = {node.path: node for node in editor.all_nodes()}
    assert (
        by_path["query.field"].text == ""
        and "gives 42 as the default" in by_path["query.field"].notice
    )
    assert [item.text for item in by_path["query.values"].children] == ["north", ""]
    assert by_path["query.operator"].text == "EQ"
    assert not editor.has_errors


@pytest.mark.parametrize(
    ("type_name", "default"),
    [("number", "abc"), ("date", "2026-02-30"), ("decimal", True), ("time", "noon"),
     ("person", 481303514), ("dataset", "not-a-uuid"), ("boolean", "yes")],
)  # fmt: skip
def test_scalar_defaults_that_do_not_fit_are_not_prefilled(type_name, default):
    definition = [{"name": "x", "type": type_name, "value": default, "nullable": True}]
    editor = _opened(definition)

    assert not editor.has_errors
    assert "as the default here, but it is not usable" in editor.nodes[0].notice
    assert sent(definition) == {"x": None}


def test_defaults_that_fit_are_prefilled_as_before():
    definition = [{"name": "n", "type": "number", "value": 2}, {"name": "t", "type": "string",
                  "value": "hello"}]  # fmt: skip

    assert sent(definition) == {"n": 2, "t": "hello"}
    assert not any(node.notice for node in _opened(definition).all_nodes())


@pytest.mark.parametrize("type_name", ["account", "ACCOUNT", "file", "directory"])
def test_an_entity_takes_an_id_as_text_or_a_json_object(type_name):
    definition = [{"name": "x", "type": type_name}]

    assert sent(definition, typed={"x": "123"}) == {"x": "123"}
    assert sent(definition, typed={"x": '{"id": 123}'}) == {"x": {"id": 123}}
    assert sent(definition, values={"x": {"id": 7, "name": "Sales"}}) == {
        "x": {"id": 7, "name": "Sales"}
    }
    assert errors(definition, typed={"x": "{broken"})["x"][0].endswith(
        'got text "{broken" (text starting with { must be a JSON object).'
    )


def test_the_entity_hint_says_what_is_sent_and_the_page_that_domo_does_not_document_it(
    member_client, instance, developer_token
):
    from tests.conftest import save_demo_function

    describe = save_demo_function(instance, developer_token, "describeTypes")

    html = member_client.get(f"/functions/{describe.pk}/run/").content.decode()

    assert "Domo does not document how a REST call encodes them" in html
    assert "The account id, sent as text (e.g. 123 is sent as &quot;123&quot;)" in html
    posted = submitted_fields(html)
    names = [parameter["name"] for parameter in describe.parameters]
    posted[f"in.{names.index('account')}"] = '{"id": 42}'
    posted["editor_action"] = "mode:json"
    switched = member_client.post(f"/functions/{describe.pk}/editor/", posted).content.decode()
    assert "&quot;account&quot;: {\n    &quot;id&quot;: 42\n  }" in switched
