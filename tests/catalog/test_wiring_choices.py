"""The import page suggests packages, versions and functions read from the instance."""

import pytest

from codeengine_ui.demo.package import DEMO_PACKAGE_ID

pytestmark = pytest.mark.django_db


def _choices(client, developer_token, **fields):
    query = {"prefix": "fn0", "fn0-instance": developer_token.instance_id}
    query["fn0-token"] = developer_token.pk
    query.update({f"fn0-{name}": value for name, value in fields.items()})
    response = client.get("/functions/import/choices/", query, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def test_packages_versions_and_functions_come_from_the_instance(member_client, developer_token):
    packages = _choices(member_client, developer_token)
    assert f'<option value="{DEMO_PACKAGE_ID}">' in packages

    versions = _choices(member_client, developer_token, package_id=DEMO_PACKAGE_ID)
    assert '<option value="1.1.0">released</option>' in versions

    functions = _choices(
        member_client, developer_token, package_id=DEMO_PACKAGE_ID, version="1.1.0"
    )
    assert '<option value="greet">Greet someone</option>' in functions
    assert 'id="fn0-functions"' in functions


def test_without_a_usable_token_it_says_to_choose_one(member_client, developer_token, instance):
    html = _choices(member_client, developer_token, token="")
    assert "Choose a token of this instance" in html
    assert "You can still type" in html


def test_an_instance_that_fails_is_named_and_typing_still_works(member_client, developer_token):
    html = _choices(member_client, developer_token, package_id="no-such-package")
    assert "You can still type the package id" in html


def test_a_made_up_prefix_is_refused(member_client):
    response = member_client.get("/functions/import/choices/", {"prefix": 'x"><script>'})
    assert response.status_code == 400


def test_a_row_takes_what_is_chosen_for_every_function(member_client, developer_token):
    query = {
        "prefix": "fn3",
        "all-instance": developer_token.instance_id,
        "all-token": developer_token.pk,
        "all-package_id": DEMO_PACKAGE_ID,
        "fn3-version": "1.1.0",
    }
    response = member_client.get("/functions/import/choices/", query, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert 'id="fn3-functions"' in html
    assert '<option value="greet">Greet someone</option>' in html


def test_the_choices_for_every_function_have_their_own_lists(member_client, developer_token):
    query = {"prefix": "all", "all-instance": developer_token.instance_id,
             "all-token": developer_token.pk, "all-package_id": DEMO_PACKAGE_ID}  # fmt: skip
    response = member_client.get("/functions/import/choices/", query, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert 'id="all-packages"' in html and 'id="all-versions"' in html
    assert '<option value="1.1.0">released</option>' in html


def test_a_failed_read_says_what_was_being_read_and_a_row_does_not_repeat_it(
    member_client, developer_token
):
    everything = {
        "all-instance": developer_token.instance_id,
        "all-token": developer_token.pk,
        "all-package_id": DEMO_PACKAGE_ID,
        "all-version": "9.9.9",
    }

    def choices(prefix, **own):
        query = {"prefix": prefix, **everything, **own}
        return member_client.get("/functions/import/choices/", query).content.decode()

    document = choices("all")
    assert "The instance did not give the functions of version 9.9.9:" in document
    assert "refresh the function" not in document  # no advice about a saved function
    row = choices("fn2")
    assert "the functions of version 9.9.9" not in row
    assert "suggestions are those for every function, above" in row
    own = choices("fn2", **{"fn2-version": "8.8.8"})
    assert "The instance did not give the functions of version 8.8.8:" in own
