"""Importing Domo's own package documents: where the functions run is chosen once for the
document and may be changed per row; a re-import changes nothing the document does not
carry; what was imported is shown after saving; a version that is not released and Domo's
entitySubType stay with the saved function."""

import copy
import json
from pathlib import Path

import pytest

from codeengine_ui.catalog.models import Function, Instance
from codeengine_ui.demo.package import DEMO_PACKAGE_ID, PRIVATE_PACKAGE_ID
from codeengine_ui.domo.client import CodeEngineClient
from tests.conftest import DEVELOPER_TOKEN, make_token, save_demo_function
from tests.html_forms import submitted_fields

DOCUMENTS = Path(__file__).parent / "documents"
EXPORT = json.loads((DOCUMENTS / "exported-version.json").read_text())
PACKAGE = json.loads((DOCUMENTS / "package-response.json").read_text())


@pytest.fixture
def logged_in(client, member):
    client.force_login(member)
    return client


def _read(client, document: dict, **extra) -> str:
    response = client.post("/functions/import/", {"text": json.dumps(document), **extra})
    assert response.status_code == 200
    return response.content.decode()


def _post(client, page: str, step: str, **changes):
    data = submitted_fields(page)
    data.update(changes)
    data["step"] = step
    return client.post("/functions/import/", data)


def _review(client, page: str, **changes) -> str:
    response = _post(client, page, "map", **changes)
    assert response.status_code == 200
    return response.content.decode()


def _save(client, page: str, **changes) -> str:
    response = _post(client, page, "save", **changes)
    assert response.status_code == 302, response.content.decode()[-3000:]
    return response["Location"]


def _other_token(page: str, developer_token, analyst_token):
    """The token the page did not offer for every function."""
    offered = submitted_fields(page)["all-token"]
    return analyst_token if offered == str(developer_token.pk) else developer_token


def test_a_reimport_keeps_the_saved_default_token(
    logged_in, instance, developer_token, analyst_token
):
    page = _read(logged_in, EXPORT)
    kept = _other_token(page, developer_token, analyst_token)
    greet = save_demo_function(instance, kept, "greet")

    review = _review(logged_in, page)

    assert f'Updates the saved function <a href="/functions/{greet.pk}/run/">' in review
    assert "Default token:" not in review
    _save(logged_in, review)
    greet.refresh_from_db()
    assert greet.default_token == kept
    offered = Function.objects.get(function_name="describeTypes").default_token
    assert offered != kept, "a function saved for the first time takes the document's token"


def test_a_token_chosen_for_a_row_replaces_the_saved_default_token(
    logged_in, instance, developer_token, analyst_token
):
    page = _read(logged_in, EXPORT)
    offered = submitted_fields(page)["all-token"]
    kept = _other_token(page, developer_token, analyst_token)
    greet = save_demo_function(instance, kept, "greet")
    chosen = developer_token if kept == analyst_token else analyst_token
    assert str(chosen.pk) == offered

    review = _review(logged_in, page, **{"fn0-token": str(chosen.pk)})

    assert f"Default token: {kept.label} → {chosen.label}" in review
    _save(logged_in, review)
    greet.refresh_from_db()
    assert greet.default_token == chosen


def test_a_row_version_wins_over_the_documents(logged_in, instance, developer_token):
    page = _read(logged_in, EXPORT)

    review = _review(logged_in, page, **{"fn1-version": "1.2.0"})

    assert (
        f"Every function runs on Emulator, package <code>{DEMO_PACKAGE_ID}</code>, version 1.1.0"
        in review
    )
    assert review.count("Runs as <code>") == 1, "only the row that chose otherwise says where"
    assert "Runs as <code>describeTypes</code>" in review and "version 1.2.0, on Emulator" in review
    _save(logged_in, review)
    assert dict(Function.objects.values_list("function_name", "version")) == {
        "greet": "1.1.0",
        "describeTypes": "1.2.0",
    }


def test_a_row_on_another_instance_needs_a_token_of_that_instance(
    logged_in, instance, developer_token
):
    other = Instance.objects.create(name="acme")
    page = _read(logged_in, EXPORT)

    refused = _review(logged_in, page, **{"fn0-instance": str(other.pk)})

    assert "The token chosen for every function reads another instance: choose a token of" in (
        refused
    )
    assert 'aria-current="step">Choose the functions' in refused
    acme = make_token(other, "Acme", "acme-token-0123456789")
    review = _review(logged_in, page, **{"fn0-instance": str(other.pk), "fn0-token": str(acme.pk)})
    _save(logged_in, review)
    assert Function.objects.get(function_name="greet").instance == other
    assert Function.objects.get(function_name="describeTypes").instance == instance


def test_after_saving_one_function_its_page_opens(logged_in, instance, developer_token):
    page = _read(logged_in, EXPORT)

    location = _save(logged_in, _review(logged_in, page, **{"fn1-include": ""}))

    greet = Function.objects.get()
    assert location == f"/functions/{greet.pk}/run/"
    assert "Saved Greet someone." in logged_in.get(location).content.decode()


def test_after_saving_several_the_list_shows_exactly_them(logged_in, instance, developer_token):
    other = save_demo_function(instance, developer_token, "averageOf")
    page = _read(logged_in, EXPORT)

    location = _save(logged_in, _review(logged_in, page))

    imported = Function.objects.exclude(pk=other.pk).order_by("pk")
    assert location == "/functions/?imported=" + ",".join(str(f.pk) for f in imported)
    listed = logged_in.get(location).content.decode()
    assert "Saved 2 new functions." in listed
    assert "Showing only the functions saved by one import: 2." in listed
    assert '<a href="/functions/">Show all functions</a>' in listed
    assert f"/functions/{other.pk}/run/" not in listed
    assert all(f"/functions/{f.pk}/run/" in listed for f in imported)
    assert f"/functions/{other.pk}/run/" in logged_in.get("/functions/").content.decode()


def test_an_import_link_with_junk_ids_still_lists(logged_in, instance, developer_token):
    greet = save_demo_function(instance, developer_token, "greet")

    response = logged_in.get(f"/functions/?imported=x,{'9' * 30},{greet.pk},-3")

    assert response.status_code == 200
    assert f"/functions/{greet.pk}/run/" in response.content.decode()


def _package_with_unreleased(version: str) -> dict:
    package = copy.deepcopy(PACKAGE)
    latest = next(v for v in package["versions"] if v["version"] == "1.1.0")
    package["versions"].append({**copy.deepcopy(latest), "version": version, "released": None,
                                "releasedOn": None})  # fmt: skip
    return package


def test_a_version_the_instance_has_not_released_is_flagged_where_it_runs(
    logged_in, instance, developer_token, emulator
):
    page = _read(logged_in, _package_with_unreleased("1.3.0"), document_version="1.3.0")
    assert page.count('<span class="badge state-unreleased">Not released</span>') == 3

    location = _save(logged_in, _review(logged_in, page))

    greet = Function.objects.get(function_name="greet")
    assert greet.version_released is False
    warning = "Version 1.3.0 is not released on Emulator: Domo may refuse to run it."
    function_page = logged_in.get(f"/functions/{greet.pk}/run/").content.decode()
    assert warning in function_page
    assert ">not released</span>" in function_page, "beside the version"
    panel = logged_in.get(f"/functions/{greet.pk}/panel/", HTTP_HX_REQUEST="true")
    assert warning in panel.content.decode()
    assert location.startswith("/functions/?imported=")


def test_without_a_token_the_document_says_whether_the_version_is_released(
    logged_in, instance, emulator
):
    page = _read(logged_in, PACKAGE, document_version="1.2.0")
    assert "No token chosen: the instance was not asked" in page

    _save(logged_in, _review(logged_in, page))
    greet = Function.objects.get(function_name="greet")
    assert greet.version_released is False

    # The instance has released 1.2.0: checking its versions clears the flag.
    token = make_token(instance, "Developer", DEVELOPER_TOKEN)
    greet.default_token = token
    greet.save()
    logged_in.post(f"/functions/{greet.pk}/check-version/")
    greet.refresh_from_db()
    assert greet.version_released is True
    page = logged_in.get(f"/functions/{greet.pk}/run/").content.decode()
    assert "is not released on" not in page


def test_entity_sub_types_are_kept_and_shown(logged_in, instance, developer_token):
    export = copy.deepcopy(EXPORT)
    export["entitySubType"] = "amazon-bedrock"
    export["functions"][1]["entitySubType"] = "snowflake"  # describeTypes

    page = _read(logged_in, export)

    assert "version 1.1.0 (amazon-bedrock): 2 functions." in page
    assert page.count('entitySubType">snowflake</span>') == 1
    _save(logged_in, _review(logged_in, page))
    saved = dict(Function.objects.values_list("function_name", "entity_sub_type"))
    assert saved == {"greet": "amazon-bedrock", "describeTypes": "snowflake"}
    greet = Function.objects.get(function_name="greet")
    shown = logged_in.get(f"/functions/{greet.pk}/run/").content.decode()
    assert "<dt>Entity subtype</dt><dd><code>amazon-bedrock</code></dd>" in shown


def test_a_reimport_without_entity_sub_type_keeps_the_saved_one(
    logged_in, instance, developer_token
):
    greet = save_demo_function(instance, developer_token, "greet")
    greet.entity_sub_type = "amazon-bedrock"
    greet.save()

    _save(logged_in, _review(logged_in, _read(logged_in, EXPORT)))

    greet.refresh_from_db()
    assert greet.entity_sub_type == "amazon-bedrock"


def test_the_document_version_is_a_field_only_where_it_means_something(
    logged_in, instance, developer_token
):
    reading = logged_in.get("/functions/import/").content.decode()
    assert "Document version" not in reading and "document_version" not in reading

    package = _read(logged_in, PACKAGE)
    assert '<label for="document-version">Version</label>' in package
    assert '<select id="document-version" name="document_version">' in package
    export = _read(logged_in, EXPORT)
    assert "document_version" not in export
    assert submitted_fields(export)["all-version"] == "1.1.0"


def test_select_all_and_none_work_without_javascript(logged_in, instance, developer_token):
    page = _read(logged_in, EXPORT)

    none = _post(logged_in, page, "none").content.decode()
    assert not any(key.endswith("-include") for key in submitted_fields(none))
    every = _post(logged_in, none, "all").content.decode()
    assert [key for key in submitted_fields(every) if key.endswith("-include")] == [
        "fn0-include",
        "fn1-include",
    ]


def test_continuing_with_nothing_ticked_says_so(logged_in, instance, developer_token):
    page = _post(logged_in, _read(logged_in, EXPORT), "none").content.decode()

    refused = _review(logged_in, page)

    assert "Tick at least one function to save." in refused
    assert not Function.objects.exists()


def test_each_package_and_version_is_asked_once(logged_in, instance, developer_token, monkeypatch):
    asked = []
    for name in ("get_package", "get_version"):
        real = getattr(CodeEngineClient, name)

        def spy(self, *args, real=real, name=name):
            asked.append((name, *args))
            return real(self, *args)

        monkeypatch.setattr(CodeEngineClient, name, spy)

    page = _read(logged_in, EXPORT)

    assert page.count('<span class="badge state-found">Found</span>') == 3  # legend + 2 rows
    assert asked == [("get_package", DEMO_PACKAGE_ID), ("get_version", DEMO_PACKAGE_ID, "1.1.0")]


def test_refreshing_the_definition_refreshes_the_release_flag(logged_in, instance, developer_token):
    greet = save_demo_function(instance, developer_token, "greet")
    greet.version_released = False
    greet.save()
    page = f"/functions/{greet.pk}/run/"
    assert "is not released on Emulator" in logged_in.get(page).content.decode()

    logged_in.post(f"/functions/{greet.pk}/refresh/")

    greet.refresh_from_db()
    assert greet.version_released is True
    assert "is not released on" not in logged_in.get(page).content.decode()


def test_a_package_the_token_may_not_see_is_explained_once(logged_in, instance, analyst_token):
    export = {**copy.deepcopy(EXPORT), "packageId": PRIVATE_PACKAGE_ID}
    export["functions"] += [
        {**copy.deepcopy(EXPORT["functions"][0]), "name": f"greet{n}"} for n in range(5)
    ]

    page = _read(logged_in, export)

    assert page.count('<span class="badge state-unchecked">Not checked</span>') == 1 + 7
    assert page.count("Emulator: ") == 1
    assert "Not found" not in page


def test_a_row_is_found_by_its_inputs_entity_subtype(logged_in, instance, developer_token):
    export = copy.deepcopy(EXPORT)
    export["functions"][0]["inputs"][0]["entitySubType"] = "dataflow-output"

    page = _read(logged_in, export)

    [row] = [line for line in page.splitlines() if 'data-search="' in line and "dataflow" in line]
    assert "dataflow-output" in row
