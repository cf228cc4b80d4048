import pytest

from codeengine_ui.parameters.definitions import DefinitionError
from codeengine_ui.parameters.manifests import app_functions

MANIFEST = {
    "name": "Sales app",
    "version": "1.0.0",
    "packageMapping": [
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
                {
                    "alias": "number2AppInput",
                    "type": "number",
                    "nullable": False,
                    "isList": False,
                    "children": None,
                },
            ],
            "output": {"alias": "sumAppOutput", "type": "number", "children": None},
        },
    ],
}


def test_manifest_package_mapping_is_read():
    [function] = app_functions(MANIFEST)

    assert function.alias == "awesomeFunction"
    assert [(p["name"], p["alias"]) for p in function.parameters] == [
        ("number1AppInput", "number1AppInput"),
        ("number2AppInput", "number2AppInput"),
    ]
    assert function.output["name"] == "sumAppOutput"
    assert (function.package_id, function.version, function.function_name) == ("", "", "")


def test_packages_mapping_entries_carry_their_wiring():
    [function] = app_functions(
        {
            "packagesMapping": [
                {
                    "alias": "share",
                    "packageId": "5f0c6b1e-8a4d-4c2b-9e71-3d2a1f6c9b80",
                    "version": None,
                    "functionName": "greet",
                    "name": "greet",
                    "parameters": [{"alias": "who", "name": "name", "type": "text"}],
                }
            ]
        }
    )

    assert (function.package_id, function.version, function.function_name) == (
        "5f0c6b1e-8a4d-4c2b-9e71-3d2a1f6c9b80",
        "",
        "greet",
    )
    assert [(p["name"], p["alias"]) for p in function.parameters] == [("name", "who")]
    assert function.notes == ["No version pinned: choose the version to run."]


@pytest.mark.parametrize(
    "document",
    [
        MANIFEST["packageMapping"],
        MANIFEST["packageMapping"][0],
        {"packageMapping": MANIFEST["packageMapping"]},
    ],
    ids=["list of entries", "one entry", "only the mapping"],
)
def test_entries_may_be_pasted_without_the_manifest(document):
    assert [f.alias for f in app_functions(document)] == ["awesomeFunction"]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"name": "app without mapping"}, "no packageMapping found"),
        ("text", "expected a JSON object or list"),
        ({"packageMapping": {"alias": "x"}}, "packageMapping: expected a list of entries"),
        ({"packageMapping": [{"parameters": []}]}, "packageMapping[0].alias: every entry needs"),
        (
            {"packageMapping": [{"alias": "a"}, {"alias": "a"}]},
            'packageMapping[1].alias: duplicate alias "a"',
        ),
        (
            {"packageMapping": [{"alias": "a", "parameters": [{"alias": "x", "type": "txt"}]}]},
            'packageMapping[0].parameters[0].type: unknown value "txt" (did you mean "text"?)',
        ),
    ],
)
def test_malformed_manifests_name_the_offending_path(document, message):
    with pytest.raises(DefinitionError) as raised:
        app_functions(document)

    assert str(raised.value).startswith(message)
