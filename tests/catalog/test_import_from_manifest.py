"""Import through the pages: read a manifest, wire each function, map aliases, save."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from codeengine_ui.catalog.models import Function
from codeengine_ui.demo.package import DEMO_PACKAGE_ID, demo_app_manifest
from tests.html_forms import submitted_fields

MANIFEST = json.dumps(demo_app_manifest())


@pytest.fixture
def logged_in(client, member):
    client.force_login(member)
    return client


def _wire(client, text: str, token, *, say_hello: dict | None = None) -> str:
    """Read the manifest, fill in where sayHello and averageAmount run, continue."""
    page = client.post("/functions/import/", {"text": text})
    assert page.status_code == 200
    data = submitted_fields(page.content.decode())
    wiring = {"fn0": {"package_id": DEMO_PACKAGE_ID, "version": "1.1.0", "function_name": "greet"},
              "fn1": {"package_id": DEMO_PACKAGE_ID, "version": "1.1.0",
                      "function_name": "averageOf"}}  # fmt: skip
    wiring["fn0"].update(say_hello or {})
    for prefix, values in wiring.items():
        for name, value in values.items():
            data[f"{prefix}-{name}"] = value
        data[f"{prefix}-token"] = str(token.pk) if token else ""
    data["step"] = "map"
    response = client.post("/functions/import/", data)
    assert response.status_code == 200
    return response.content.decode()


def test_reading_a_manifest_lists_its_functions(logged_in, instance):
    html = logged_in.post("/functions/import/", {"text": MANIFEST}).content.decode()

    assert "sayHello" in html and "averageAmount" in html
    assert "personName: text" in html
    assert 'aria-current="step">Choose the functions and where they run' in html


def test_upload_works_like_paste(logged_in, instance):
    upload = SimpleUploadedFile("manifest.json", MANIFEST.encode(), "application/json")

    html = logged_in.post("/functions/import/", {"file": upload}).content.decode()

    assert "sayHello" in html


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ({"text": "{not json"}, "not valid JSON: Expecting property name"),
        ({"text": '{"name": "app"}'}, "this is not a document the console reads: paste an app"),
        ({"text": '{"name": "app", "packageMapping": []}'}, "packageMapping: the list is empty"),
        (
            {
                "text": '{"packageMapping": [{"alias": "x", "parameters": [{"alias": "a", '
                '"type": "nummber"}]}]}'
            },
            "packageMapping[0].parameters[0].type: unknown value &quot;nummber&quot;",
        ),
        ({"text": ""}, "Paste the JSON or choose a file."),
        ({"file": SimpleUploadedFile("m.json", b"\xff\xfe\x00")}, "This file is not UTF-8 text."),
    ],
)
def test_bad_manifests_are_refused_at_the_field(logged_in, instance, posted, message):
    response = logged_in.post("/functions/import/", posted)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Function.objects.exists()


def test_aliases_are_matched_to_the_fetched_definition_and_saved(logged_in, developer_token):
    html = _wire(logged_in, MANIFEST, developer_token)

    assert "The function's own definition was fetched" in html
    data = submitted_fields(html)
    assert (data["map0-alias0"], data["map0-alias1"]) == ("name", "excited")
    assert (data["map1-alias0"], data["map1-alias1"]) == ("values", "roundTo")
    data["step"] = "save"
    response = logged_in.post("/functions/import/", data)

    assert response.status_code == 302
    greet = Function.objects.get(function_name="greet")
    assert greet.app_alias == "sayHello" and greet.display_name == "Greet someone"
    assert [(p["name"], p["alias"]) for p in greet.parameters] == [
        ("name", "personName"),
        ("excited", "shout"),
    ]
    assert greet.default_token == developer_token
    assert Function.objects.filter(function_name="averageOf", app_alias="averageAmount").exists()


def test_saved_function_runs_with_input_names_and_shows_the_app_call(
    logged_in, developer_token, emulator
):
    data = submitted_fields(_wire(logged_in, MANIFEST, developer_token))
    data["step"] = "save"
    logged_in.post("/functions/import/", data)
    greet = Function.objects.get(function_name="greet")

    page = logged_in.get(f"/functions/{greet.pk}/run/").content.decode()
    form = submitted_fields(page)
    form["in.0"] = "Ada"
    logged_in.post(f"/functions/{greet.pk}/run/", form)

    assert "domo.post(&#x27;/domo/codeengine/v2/packages/sayHello&#x27;" in page
    assert "&quot;personName&quot;" in page
    body = emulator.server.emulator.received_runs[-1][3]
    assert set(body["inputVariables"]) == {"name", "excited"}


def test_without_a_token_aliases_become_the_input_names_and_can_be_edited(logged_in, instance):
    html = _wire(logged_in, MANIFEST, None)

    assert "No token chosen" in html
    data = submitted_fields(html)
    assert data["map0-alias0"] == "personName"
    data["map0-alias0"] = "name"
    data.pop("fn1-include")  # save sayHello only
    data["step"] = "save"
    response = logged_in.post("/functions/import/", data)

    assert response.status_code == 302
    greet = Function.objects.get()
    assert [(p["name"], p["alias"]) for p in greet.parameters] == [
        ("name", "personName"),
        ("shout", "shout"),
    ]


def test_an_instance_that_refuses_is_explained_and_aliases_are_kept(logged_in, developer_token):
    html = _wire(logged_in, MANIFEST, developer_token, say_hello={"version": "1.3.0"})

    assert "not released" in html
    assert submitted_fields(html)["map0-alias0"] == "personName"


def test_two_aliases_cannot_stand_for_one_input(logged_in, developer_token):
    data = submitted_fields(_wire(logged_in, MANIFEST, developer_token))
    data["map0-alias1"] = "name"
    data["step"] = "save"

    response = logged_in.post("/functions/import/", data)

    assert response.status_code == 200
    assert "already stands for name" in response.content.decode()
    assert not Function.objects.exists()


def test_wiring_needs_package_version_and_function(logged_in, developer_token):
    html = _wire(logged_in, MANIFEST, developer_token, say_hello={"package_id": ""})

    assert "Needed to run the function." in html
    assert 'aria-current="step">Choose the functions' in html


def test_sample_manifest_downloads(logged_in):
    response = logged_in.get("/functions/import/sample-manifest.json")

    assert response["Content-Disposition"].startswith("attachment")
    assert response.json() == demo_app_manifest()


def test_before_saving_the_page_says_what_is_created_and_what_is_updated(
    logged_in, instance, developer_token
):
    from tests.conftest import save_demo_function

    greet = save_demo_function(instance, developer_token, "greet")
    greet.app_alias = "oldGreeting"
    greet.save()

    html = _wire(logged_in, MANIFEST, developer_token)

    assert "Saving creates 1 function and updates 1." in html
    assert f'Updates the saved function <a href="/functions/{greet.pk}/run/">' in html
    assert "App alias: oldGreeting → sayHello" in html
    assert "Creates a new saved function." in html
    greet.refresh_from_db()
    assert greet.app_alias == "oldGreeting", "nothing is saved before Save"
