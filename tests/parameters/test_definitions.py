import pytest

from codeengine_ui.parameters.definitions import (
    DefinitionError,
    normalise_output,
    normalise_parameters,
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
            "is_list": False,
            "default": {"field": None},
            "children": [
                {
                    "name": "field",
                    "label": "Field",
                    "description": "",
                    "type": "text",
                    "nullable": False,
                    "is_list": False,
                    "default": None,
                    "children": [],
                    "entity_sub_type": None,
                }
            ],
            "entity_sub_type": None,
        }
    ]


def test_package_mapping_entry_uses_aliases_as_names():
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

    assert [(p["name"], p["label"], p["type"]) for p in parameters] == [
        ("number1AppInput", "number1AppInput", "number")
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


def test_defaults_fall_back_to_default_values():
    [parameter] = normalise_parameters([{"name": "n", "type": "number", "defaultValues": 3}])

    assert parameter["default"] == 3


def test_normalising_twice_changes_nothing():
    once = normalise_parameters(
        [{"name": "n", "displayName": "N", "type": "DECIMAL", "value": 0.1, "isList": True}]
    )

    assert normalise_parameters(once) == once


def test_output_is_normalised_or_none():
    assert normalise_output(None) is None
    assert normalise_output({"alias": "sum", "type": "number", "children": None})["name"] == "sum"


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ("not a list", "parameters: expected a list, got str"),
        ([{"type": "text"}], "parameters[0].name: every parameter needs a name"),
        ([{"name": "a"}, {"name": "a"}], 'parameters[1].name: duplicate name "a"'),
        ([{"name": "a", "type": 7}], "parameters[0].type: expected a type name"),
        (
            [{"name": "a", "type": "text", "children": [{"name": "b"}]}],
            'parameters[0].children: a "text" parameter cannot have children',
        ),
        (
            [
                {
                    "name": "a",
                    "type": "object",
                    "children": [{"name": "b", "type": "object", "children": [{"type": "text"}]}],
                }
            ],
            "parameters[0].children[0].children[0].name: every parameter needs a name",
        ),
        ([{"name": f"p{i}"} for i in range(501)], "parameters[500]: more than 500 parameters"),
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
