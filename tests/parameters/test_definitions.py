import pytest

from codeengine_ui.parameters.definitions import (
    DefinitionError,
    normalise_output,
    normalise_parameters,
    parse_definition_text,
)


def test_domo_function_definition_is_normalised():
    parameters = normalise_parameters(
        {
            "inputs": [
                {
                    "name": "query",
                    "displayName": None,
                    "description": "What to look for",
                    "type": "OBJECT",
                    "value": {"field": None},
                    "nullable": True,
                    "isList": False,
                    "children": [
                        {
                            "name": "field",
                            "displayName": "Field",
                            "type": "text",
                            "value": None,
                            "nullable": False,
                            "isList": False,
                            "children": [],
                        }
                    ],
                    "entitySubType": None,
                }
            ]
        }
    )

    assert parameters == [
        {
            "name": "query",
            "label": "query",
            "description": "What to look for",
            "type": "object",
            "nullable": True,
            "isList": False,
            "default": {"field": None},
            "children": [
                {
                    "name": "field",
                    "label": "Field",
                    "description": "",
                    "type": "text",
                    "nullable": False,
                    "isList": False,
                    "default": None,
                    "children": [],
                    "entitySubType": None,
                    "alias": None,
                    "declaredType": None,
                }
            ],
            "entitySubType": None,
            "alias": None,
            "declaredType": None,
        }
    ]


def test_package_mapping_parameters_keep_their_alias():
    parameters = normalise_parameters(
        {
            "alias": "awesomeFunction",
            "parameters": [
                {
                    "alias": "number1AppInput",
                    "type": "number",
                    "nullable": False,
                    "isList": False,
                    "children": None,
                },
            ],
        }
    )

    assert [(p["name"], p["alias"], p["label"], p["type"]) for p in parameters] == [
        ("number1AppInput", "number1AppInput", "number1AppInput", "number")
    ]


def test_type_names_are_compared_case_insensitively():
    parameters = normalise_parameters(
        [
            {"name": "a", "type": "ACCOUNT"},
            {"name": "b", "type": "DATETIME"},
            {"name": "c", "type": "DataSet"},
        ]
    )

    assert [p["type"] for p in parameters] == ["account", "dateTime", "dataset"]


def test_unknown_types_are_kept_for_a_json_field():
    parameters = normalise_parameters(
        [{"name": "q", "type": "queue"}, {"name": "s", "type": "STRING_BUILDER"}]
    )

    assert [p["type"] for p in parameters] == ["queue", "STRING_BUILDER"]


def test_children_may_be_empty_or_null():
    parameters = normalise_parameters(
        [
            {"name": "a", "type": "text", "children": []},
            {"name": "b", "type": "object", "children": None},
        ]
    )

    assert [p["children"] for p in parameters] == [[], []]


def test_defaults_fall_back_to_default_values():
    [parameter] = normalise_parameters([{"name": "n", "type": "number", "defaultValues": 3}])

    assert parameter["default"] == 3


def test_normalising_twice_changes_nothing():
    once = normalise_parameters(
        [{"alias": "n", "displayName": "N", "type": "DECIMAL", "value": 0.1, "isList": True}]
    )

    assert normalise_parameters(once) == once


def test_earlier_stored_shape_is_read_too():
    [parameter] = normalise_parameters(
        [{"name": "n", "label": "N", "type": "text", "is_list": True, "entity_sub_type": "x"}]
    )

    assert parameter["isList"] is True and parameter["entitySubType"] == "x"


def test_output_is_normalised_or_none():
    assert normalise_output(None) is None
    assert normalise_output({"alias": "sum", "type": "number", "children": None})["name"] == "sum"


def test_text_that_is_not_json_says_where():
    with pytest.raises(DefinitionError) as raised:
        parse_definition_text('{"inputs": [}')

    assert str(raised.value) == "not valid JSON: Expecting value (line 1, column 13)"


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ("not a list", "parameters: expected a list, got text"),
        (7, "parameters: expected a list, got 7"),
        ([3], "parameters[0]: expected an object, got 3"),
        ([{"type": "text"}], "parameters[0].name: every parameter needs a name"),
        ([{"name": "a"}], "parameters[0].type: missing; every parameter needs a type"),
        (
            [{"name": "a", "type": "text"}, {"name": "a", "type": "text"}],
            'parameters[1].name: duplicate name "a"',
        ),
        ([{"name": "a", "type": 7}], "parameters[0].type: expected a type name, got 7"),
        ([{"name": 7, "type": "text"}], "parameters[0].name: expected text, got 7"),
        (
            [{"name": "a", "type": "text", "nullable": "yes"}],
            'parameters[0].nullable: expected true or false, got "yes"',
        ),
        (
            [{"name": "a", "type": "text", "isList": 1}],
            "parameters[0].isList: expected true or false, got 1",
        ),
        (
            [{"name": "a", "type": "object", "children": {"b": 1}}],
            "parameters[0].children: expected a list or null, got an object",
        ),
        (
            [{"name": "a", "type": "text", "children": [{"name": "b", "type": "text"}]}],
            'parameters[0].children: a "text" parameter cannot have children',
        ),
        (
            [
                {"name": "x", "type": "text"},
                {"name": "y", "type": "text"},
                {"name": "a", "type": "object", "children": [{"name": "b", "type": "nummber"}]},
            ],
            'parameters[2].children[0].type: unknown value "nummber" (did you mean "number"?)',
        ),
        (
            [{"name": f"p{i}", "type": "text"} for i in range(501)],
            "parameters[500]: more than 500 parameters",
        ),
    ],
)
def test_malformed_definitions_name_the_offending_path(definition, message):
    with pytest.raises(DefinitionError) as raised:
        normalise_parameters(definition)

    assert str(raised.value).startswith(message)


def test_absurd_depth_is_refused():
    definition = {"name": "leaf", "type": "text"}
    for level in range(11):
        definition = {"name": f"level{level}", "type": "object", "children": [definition]}

    with pytest.raises(DefinitionError, match="nested deeper than 10 levels"):
        normalise_parameters([definition])


def test_a_cycle_is_refused_not_followed_forever():
    looping = {"name": "loop", "type": "object", "children": []}
    looping["children"].append(looping)

    with pytest.raises(DefinitionError, match="nested deeper than 10 levels"):
        normalise_parameters([looping])
