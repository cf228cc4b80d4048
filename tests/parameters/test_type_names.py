"""Type names as apps and tools write them: aliases, any case, typos and unknown names."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from codeengine_ui.catalog.importing import definition_changes, match_aliases
from codeengine_ui.parameters.definitions import DefinitionError, normalise_parameters

from .editor_helpers import errors, posted_editor, render, sent


@pytest.mark.parametrize(
    ("declared", "treated_as"),
    [
        ("string", "text"), ("STRING", "text"), ("str", "text"), ("String", "text"),
        ("integer", "number"), ("int", "number"), ("Integer", "number"),
        ("float", "decimal"), ("double", "decimal"), ("bool", "boolean"),
    ],
)  # fmt: skip
def test_aliases_become_their_type_and_the_declared_name_is_kept(declared, treated_as):
    [parameter] = normalise_parameters([{"name": "x", "type": declared}])

    assert (parameter["type"], parameter["declaredType"]) == (treated_as, declared)
    assert normalise_parameters([parameter]) == [parameter], "normalising twice changes nothing"


def test_upper_case_type_names_are_simply_their_type():
    parameters = normalise_parameters(
        [{"name": n, "type": t} for n, t in [("a", "ACCOUNT"), ("f", "FILE"), ("d", "DIRECTORY")]]
    )

    assert [(p["type"], p["declaredType"]) for p in parameters] == [
        ("account", None),
        ("file", None),
        ("directory", None),
    ]


def test_near_misses_are_still_refused_and_unknown_names_still_take_json():
    with pytest.raises(
        DefinitionError, match='unknown value "strng" \\(did you mean "string"\\?\\)'
    ):
        normalise_parameters([{"name": "x", "type": "strng"}])
    with pytest.raises(DefinitionError, match='did you mean "number"'):
        normalise_parameters([{"name": "x", "type": "nummber"}])
    [queue] = normalise_parameters([{"name": "q", "type": "queue"}])
    assert "Unknown type" in render(posted_editor([{"name": "q", "type": "queue"}]))
    assert queue["type"] == "queue"


def test_a_string_input_takes_any_text_and_sends_text():
    definition = [{"name": "question", "type": "string"}]

    assert sent(definition, typed={"question": "What is ARR?"}) == {"question": "What is ARR?"}
    assert sent(definition, typed={"question": "42"}) == {"question": "42"}


def test_an_integer_input_refuses_a_fraction():
    assert errors([{"name": "n", "type": "integer"}], typed={"n": "3.7"}) == {
        "n": ["Expected a whole number (e.g. 42), got 3.7."]
    }


def test_the_form_says_what_was_declared_and_how_it_is_treated():
    html = render(posted_editor([{"name": "question", "type": "string"}]))

    assert "Declared as &quot;string&quot;, treated as text." in html


def test_alias_matching_compares_the_types_they_stand_for():
    app = normalise_parameters([{"alias": "q", "type": "string"}, {"alias": "n", "type": "int"}])
    inputs = normalise_parameters(
        [{"name": "question", "type": "text"}, {"name": "count", "type": "number"}]
    )

    assert match_aliases(app, inputs) == {"q": "question", "n": "count"}


def test_refreshing_from_string_to_text_is_not_a_change():
    saved = normalise_parameters([{"name": "question", "type": "string"}])
    fetched = normalise_parameters([{"name": "question", "type": "text"}])

    assert definition_changes(saved, fetched) == []


@pytest.mark.django_db(transaction=True)
def test_functions_saved_with_aliases_become_their_types_and_back():
    executor = MigrationExecutor(connection)
    before = [("catalog", "0006_version_news_token_and_expiry_zone")]
    after = [("catalog", "0007_type_aliases_become_their_type")]
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    instance = old_apps.get_model("catalog", "Instance").objects.create(name="acme")
    parameter = {"name": "q", "type": "string", "children": [
        {"name": "n", "type": "Integer", "children": []}]}  # fmt: skip
    function = old_apps.get_model("catalog", "Function").objects.create(
        instance=instance, package_id="p", version="1", function_name="f", parameters=[parameter]
    )

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    new_apps = executor.loader.project_state(after).apps
    migrated = new_apps.get_model("catalog", "Function").objects.get(pk=function.pk)
    [question] = migrated.parameters
    assert (question["type"], question["declaredType"]) == ("text", "string")
    assert (question["children"][0]["type"], question["children"][0]["declaredType"]) == (
        "number",
        "Integer",
    )

    executor = MigrationExecutor(connection)
    executor.migrate(before)
    reverted = old_apps.get_model("catalog", "Function").objects.get(pk=function.pk)
    assert reverted.parameters[0]["type"] == "string"
    assert reverted.parameters[0]["children"][0]["type"] == "Integer"
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())
