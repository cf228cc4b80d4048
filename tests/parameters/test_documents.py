import pytest

from codeengine_ui.parameters.definitions import DefinitionError, parse_definition_text
from codeengine_ui.parameters.documents import read_document

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
    [function] = read_document(MANIFEST).functions

    assert function.alias == "awesomeFunction"
    assert [(p["name"], p["alias"]) for p in function.parameters] == [
        ("number1AppInput", "number1AppInput"),
        ("number2AppInput", "number2AppInput"),
    ]
    assert function.output["name"] == "sumAppOutput"
    assert (function.package_id, function.version, function.function_name) == ("", "", "")


def test_packages_mapping_entries_carry_their_wiring():
    [function] = read_document(
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
    ).functions

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
    assert [f.alias for f in read_document(document).functions] == ["awesomeFunction"]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"name": "app without mapping"}, "this is not a document the console reads: paste"),
        ("text", "this is not a document the console reads"),
        ({"packageMapping": []}, "packageMapping: the list is empty"),
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
        read_document(document)

    assert str(raised.value).startswith(message)


FUNCTION = {"name": "greet", "displayName": "Greet", "inputs": [{"name": "who", "type": "STRING"}],
            "output": {"name": "greeting", "type": "text"}}  # fmt: skip


def test_each_kind_of_document_says_what_it_is():
    exported = {"packageId": "p-1", "version": "2.0.0", "code": "...", "functions": [FUNCTION]}
    package = {"id": "p-1", "name": "Tools", "versions": [{"version": "2.0.0", "released": "x",
               "functions": [FUNCTION]}]}  # fmt: skip

    kinds = [
        read_document(document).kind
        for document in (MANIFEST, MANIFEST["packageMapping"], MANIFEST["packageMapping"][0],
                         exported, package, FUNCTION, [FUNCTION])
    ]  # fmt: skip

    assert kinds == [
        "an app manifest", "packageMapping entries", "a packageMapping entry",
        "an exported package version", "a package", "a function definition",
        "function definitions",
    ]  # fmt: skip


def test_domo_functions_carry_their_definition_and_where_they_run():
    document = read_document({"packageId": "p-1", "version": "2.0.0", "functions": [FUNCTION]})

    [function] = document.functions
    assert (function.package_id, function.version, function.function_name) == (
        "p-1",
        "2.0.0",
        "greet",
    )
    assert function.definition is FUNCTION and function.app_alias == ""
    assert function.parameters[0]["type"] == "text"
    assert function.output["name"] == "greeting"


@pytest.mark.parametrize(
    ("versions", "chosen", "expected"),
    [
        ([("1.0.0", "2026-01-01"), ("1.10.0", "2026-02-01"), ("1.9.0", None)], "", "1.10.0"),
        ([("1.0.0", None), ("1.1.0", None)], "", "1.1.0"),  # nothing released: the newest
        ([("1.0.0", "x"), ("1.1.0", None)], "1.1.0", "1.1.0"),
        ([("1.0.0", "x"), ("1.1.0", None)], "9.9.9", "1.0.0"),  # not a version of it
    ],
)
def test_a_package_reads_the_newest_released_version_unless_another_is_chosen(
    versions, chosen, expected
):
    package = {"id": "p", "versions": [
        {"version": v, "released": released, "functions": [FUNCTION]} for v, released in versions
    ]}  # fmt: skip

    document = read_document(package, chosen)

    assert document.chosen_version == expected
    assert [v.released for v in document.versions] == [r is not None for _, r in versions]


def test_a_package_shows_first_the_newest_released_version_whose_functions_it_holds():
    """A package response may list some versions without their functions."""
    package = {"id": "p", "versions": [
        {"version": "1.0.0", "released": "2026-01-05", "functions": [FUNCTION]},
        {"version": "1.1.0", "released": "2026-02-05"},
        {"version": "1.2.0", "released": None, "functions": None},
    ]}  # fmt: skip

    document = read_document(package)

    assert document.chosen_version == "1.0.0"
    assert [v.lists_functions for v in document.versions] == [True, False, False]
    with pytest.raises(
        DefinitionError,
        match=r"versions\[1\]\.functions: missing: this package response lists version 1\.1\.0 "
        r"without its functions \(it holds the functions of 1\.0\.0\)",
    ):
        read_document(package, "1.1.0")


def test_versions_that_are_not_versions_are_named():
    with pytest.raises(DefinitionError, match=r"versions\[0\]: expected a version"):
        read_document({"id": "p", "versions": [None, 3, "x"]})


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"name": "f", "inputs": [{"name": "a", "type": "number", "value": NaN}]}',
         "not valid JSON: NaN is not a JSON value"),
        ('{"name": "f", "inputs": [{"name": "a", "type": "decimal", "value": 1e999}]}',
         "not valid JSON: the number 1e999 is too large for a double"),
    ],
)  # fmt: skip
def test_a_pasted_document_with_numbers_json_does_not_have_is_refused(text, message):
    with pytest.raises(DefinitionError, match=message):
        parse_definition_text(text)


def test_private_helpers_are_left_out_with_a_note():
    helper = {**FUNCTION, "name": "helper", "isPrivate": True}

    document = read_document([FUNCTION, helper])

    assert [function.function_name for function in document.functions] == ["greet"]
    assert document.notes == [
        "1 private helper function left out: they cannot be run from outside the package."
    ]


def test_two_functions_with_one_name_are_refused():
    with pytest.raises(DefinitionError, match=r'functions\[1\]\.name: duplicate function "greet"'):
        read_document([FUNCTION, FUNCTION])
