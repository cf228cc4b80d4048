"""Import from the documents people keep: Domo's exported versions, package responses and
function definitions, and app manifests that write types as `string` or `integer`.

The fixtures in documents/ are shaped like the real files (upper-case and alias type
names, defaults that do not fit, versions not released, private helpers)."""

import json
from pathlib import Path

import pytest

from codeengine_ui.catalog.models import Function
from codeengine_ui.demo.package import DEMO_PACKAGE_ID
from codeengine_ui.runs.models import Execution, ExecutionStatus
from tests.html_forms import submitted_fields

DOCUMENTS = Path(__file__).parent / "documents"


def _document(name: str) -> str:
    return (DOCUMENTS / name).read_text()


@pytest.fixture
def logged_in(client, member):
    client.force_login(member)
    return client


def _read(client, text: str, **extra) -> str:
    response = client.post("/functions/import/", {"text": text, **extra})
    assert response.status_code == 200
    return response.content.decode()


def _save(client, page: str, **changes) -> None:
    data = submitted_fields(page)
    data.update(changes)
    data["step"] = "save"
    response = client.post("/functions/import/", data)
    assert response.status_code == 302, response.content.decode()[-3000:]


def test_an_exported_version_is_recognised_and_its_functions_listed(logged_in, instance):
    page = _read(logged_in, _document("exported-version.json"))

    assert (
        f"Recognised an exported package version {DEMO_PACKAGE_ID}, version 1.1.0: 2 functions."
        in page
    )
    assert "1 private helper function left out" in page
    assert "name: STRING → text" in page and "number: integer → number" in page
    assert "Its definition came with the document" not in page, "shown once saved"
    data = submitted_fields(page)
    assert (data["all-package_id"], data["all-version"], data["fn0-function_name"]) == (
        DEMO_PACKAGE_ID,
        "1.1.0",
        "greet",
    )
    assert (data["fn0-package_id"], data["fn0-version"]) == ("", ""), "as for every function"


def test_saving_an_exported_version_keeps_its_definitions_and_outputs(
    logged_in, instance, developer_token, emulator
):
    token = str(developer_token.pk)
    page = _read(logged_in, _document("exported-version.json"))
    _save(logged_in, page, **{"fn0-token": token, "fn1-token": token})

    greet = Function.objects.get(function_name="greet")
    assert [(p["name"], p["type"], p["declaredType"]) for p in greet.parameters] == [
        ("name", "text", "STRING"),
        ("excited", "boolean", None),
    ]
    assert (greet.output["type"], greet.output["declaredType"]) == ("text", "string")
    assert greet.display_name == "Greet someone" and greet.app_alias == ""
    describe = Function.objects.get(function_name="describeTypes")
    html = logged_in.get(f"/functions/{describe.pk}/run/").content.decode()
    assert "Some inputs need attention" not in html, "Domo's own defaults open a usable form"
    assert "gives [] as the default here, but it is not usable" in html
    assert "Declared as &quot;integer&quot;, treated as number." in html

    form = submitted_fields(html)
    response = logged_in.post(f"/functions/{describe.pk}/run/", form)
    execution = Execution.objects.get(pk=int(response["Location"].split("/")[-2]))
    assert execution.status == ExecutionStatus.SUCCESS, execution.error_information
    assert execution.input_variables["anything"] is None
    assert execution.input_variables["number"] == 42


def test_a_package_response_offers_its_versions_newest_released_first(logged_in, instance):
    page = _read(logged_in, _document("package-response.json"))

    assert "Recognised a package Console Demo, version 1.1.0: 2 functions." in page
    assert "1.2.0 (not released, 2 functions)" in page
    assert "1.0.0 (released, 1 function)" in page
    assert '<option value="1.1.0" selected>' in page

    chosen = submitted_fields(page)
    chosen["document_version"], chosen["step"] = "1.2.0", "version"
    unreleased = logged_in.post("/functions/import/", chosen).content.decode()

    assert "Console Demo, version 1.2.0: 2 functions." in unreleased
    assert "Version 1.2.0 is not released: only released versions run from outside Domo." in (
        unreleased
    )
    assert submitted_fields(unreleased)["document_version"] == "1.2.0"


def test_a_package_version_can_be_chosen_and_saved(logged_in, instance):
    page = _read(logged_in, _document("package-response.json"), document_version="1.0.0")

    assert "version 1.0.0: 1 function." in page
    _save(logged_in, page)

    [greet] = Function.objects.all()
    assert (greet.version, [p["name"] for p in greet.parameters]) == ("1.0.0", ["name"])


def test_a_function_definition_alone_asks_where_it_runs(logged_in, instance):
    page = _read(logged_in, _document("function-definition.json"))

    assert "Recognised a function definition: 1 function." in page
    data = submitted_fields(page)
    data["step"] = "save"
    refused = logged_in.post("/functions/import/", data).content.decode()
    assert "Needed to run the function." in refused

    _save(logged_in, page, **{"fn0-package_id": DEMO_PACKAGE_ID, "fn0-version": "1.1.0"})
    order = Function.objects.get()
    lines = order.parameters[0]["children"][2]
    assert [(c["name"], c["type"]) for c in lines["children"]] == [
        ("sku", "text"), ("quantity", "number"), ("unitPrice", "decimal")]  # fmt: skip
    assert order.output["children"][1]["name"] == "lineCount"


def test_an_app_manifest_with_string_types_maps_its_aliases_by_type(
    logged_in, developer_token, emulator
):
    data = submitted_fields(_read(logged_in, _document("string-typed-manifest.json")))
    wiring = {"fn0": "greet", "fn1": "averageOf"}
    for prefix, name in wiring.items():
        data[f"{prefix}-package_id"], data[f"{prefix}-version"] = DEMO_PACKAGE_ID, "1.1.0"
        data[f"{prefix}-function_name"], data[f"{prefix}-token"] = name, str(developer_token.pk)
    data["step"] = "map"
    page = logged_in.post("/functions/import/", data).content.decode()

    mapped = submitted_fields(page)
    assert (mapped["map0-alias0"], mapped["map0-alias1"]) == ("name", "excited")
    assert (mapped["map1-alias0"], mapped["map1-alias1"]) == ("values", "roundTo")
    assert "domo.post(&#x27;/domo/codeengine/v2/packages/askQuestion&#x27;" in page
    mapped["step"] = "save"
    logged_in.post("/functions/import/", mapped)
    ask = Function.objects.get(app_alias="askQuestion")
    form = submitted_fields(logged_in.get(f"/functions/{ask.pk}/run/").content.decode())
    form["in.0"] = "What is ARR?"
    logged_in.post(f"/functions/{ask.pk}/run/", form)
    body = emulator.server.emulator.received_runs[-1][3]
    assert body["inputVariables"] == {"name": "What is ARR?", "excited": False}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_document("empty-manifest.json"), "packageMapping: the list is empty: this manifest"),
        ('{"functions": []}', "functions: the list is empty: this version has no functions"),
        ('{"id": "p", "versions": []}', "versions: the list is empty: this package has no"),
        (
            '{"id": "p", "versions": [{"version": "1.0.0", "released": true}]}',
            "lists version 1.0.0 without its functions",
        ),
        ('{"hello": "world"}', "not a document the console reads: paste an app&#x27;s manifest"),
        ("[]", "the list is empty; paste an app"),
    ],
)  # fmt: skip
def test_documents_without_functions_say_why(logged_in, instance, text, message):
    assert message in _read(logged_in, text)
    assert not Function.objects.exists()


def test_every_fixture_is_valid_json():
    for path in DOCUMENTS.glob("*.json"):
        json.loads(path.read_text())
