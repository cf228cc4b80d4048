"""Browse an instance package > version > function and save a function with its definition."""

import pytest

from codeengine_ui.catalog.models import AccessToken, Function, Instance
from codeengine_ui.demo.package import DEMO_PACKAGE_ID, GLOBAL_PACKAGE_ID, PRIVATE_PACKAGE_ID
from tests.conftest import DEVELOPER_TOKEN, make_token, reply


@pytest.fixture
def logged_in(client, member):
    client.force_login(member)
    return client


def test_packages_are_listed(logged_in, instance, developer_token):
    html = logged_in.get(f"/instances/{instance.pk}/browse/").content.decode()

    assert "Console Demo" in html and "Finance Private Tools" in html
    assert f"/instances/{instance.pk}/browse/{DEMO_PACKAGE_ID}/?token={developer_token.pk}" in html


def test_versions_show_which_are_released(logged_in, instance, developer_token):
    html = logged_in.get(f"/instances/{instance.pk}/browse/{DEMO_PACKAGE_ID}/").content.decode()

    assert f"browse/{DEMO_PACKAGE_ID}/1.1.0/" in html
    assert "Not released: cannot be run from outside Domo" in html
    assert f"browse/{DEMO_PACKAGE_ID}/1.3.0/" not in html


def test_functions_of_a_version_are_listed_and_saved_with_their_definition(
    logged_in, instance, developer_token
):
    url = f"/instances/{instance.pk}/browse/{DEMO_PACKAGE_ID}/1.1.0/"
    html = logged_in.get(url).content.decode()
    assert "Summarise an order" in html and "order: object" in html

    response = logged_in.post(
        url + "save/", {"token": developer_token.pk, "function_name": "summariseOrder"}
    )

    function = Function.objects.get(function_name="summariseOrder")
    assert response["Location"] == f"/functions/{function.pk}/run/"
    assert function.display_name == "Summarise an order"
    assert [p["name"] for p in function.parameters] == ["order", "notes", "tags"]
    assert function.parameters[0]["children"][2]["isList"] is True
    assert function.output["type"] == "object"
    assert "Save again" in logged_in.get(url).content.decode()


def test_a_version_without_functions_says_so(logged_in, instance, developer_token):
    url = f"/instances/{instance.pk}/browse/{GLOBAL_PACKAGE_ID}/3.1.0/"

    html = logged_in.get(url).content.decode()

    assert "No functions" in html and "global packages may not show theirs" in html


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (f"{PRIVATE_PACKAGE_ID}/", "Access denied (HTTP 403)"),
        ("00000000-0000-0000-0000-000000000000/", "no such package, version or function"),
        (f"{DEMO_PACKAGE_ID}/1.3.0/", "not released"),
    ],
)
def test_refusals_are_explained_on_the_page(logged_in, instance, analyst_token, path, message):
    response = logged_in.get(f"/instances/{instance.pk}/browse/{path}?token={analyst_token.pk}")

    assert response.status_code == 200
    assert message in response.content.decode()


def test_bad_token_is_explained(logged_in, instance):
    make_token(instance, "Stale", "stale-token-00000000000000000")

    html = logged_in.get(f"/instances/{instance.pk}/browse/").content.decode()

    assert "The access token was refused (HTTP 401)" in html


def test_instance_without_token_says_what_to_do(logged_in, instance):
    html = logged_in.get(f"/instances/{instance.pk}/browse/").content.decode()

    assert "No token of this instance is granted to you yet" in html


def test_saving_with_a_token_of_another_instance_is_refused(logged_in, instance, developer_token):
    from codeengine_ui.catalog.models import Instance

    other = Instance.objects.create(name="other", display_name="Other")
    foreign = make_token(other, "Foreign", "foreign-token-0000000000000000")

    response = logged_in.post(
        f"/instances/{instance.pk}/browse/{DEMO_PACKAGE_ID}/1.1.0/save/",
        {"token": foreign.pk, "function_name": "greet"},
    )

    assert response.status_code == 404
    assert not Function.objects.exists()
    assert AccessToken.objects.count() == 2


def test_the_most_recently_used_token_is_offered_first(
    logged_in, instance, developer_token, analyst_token, member
):
    developer_token.record_use(member)

    html = logged_in.get(f"/instances/{instance.pk}/browse/").content.decode()

    assert list(AccessToken.objects.usable(instance)) == [developer_token, analyst_token]
    assert f'<option value="{developer_token.pk}" selected>' in html


@pytest.fixture
def odd_instance(raw_server, settings):
    """An instance whose every answer is `body`, whatever was asked."""

    def answering(body: bytes) -> Instance:
        server = raw_server(reply("200 OK", body))
        host = server.url.removeprefix("http://")
        settings.CODEENGINE_ALLOWED_HOSTS = [*settings.CODEENGINE_ALLOWED_HOSTS, host]
        odd = Instance.objects.create(name="odd", custom_base_url=server.url)
        make_token(odd, "Odd token", DEVELOPER_TOKEN)
        return odd

    return answering


@pytest.mark.parametrize(
    "body, shown",
    [
        (b'{"id": "p", "name": "Odd", "versions": 5}', "This package lists no versions."),
        (b'{"id": "p", "versions": [null, "1.0.0", {"version": "2.0.0"}]}', "2.0.0</td>"),
    ],
)
def test_a_package_whose_versions_are_not_a_list_of_objects_is_shown_without_them(
    logged_in, odd_instance, body, shown
):
    odd = odd_instance(body)

    response = logged_in.get(f"/instances/{odd.pk}/browse/p/")

    assert response.status_code == 200
    assert shown in response.content.decode()


def test_a_version_whose_functions_are_not_a_list_says_it_lists_none(logged_in, odd_instance):
    odd = odd_instance(b'{"packageId": "p", "version": "1.0.0", "functions": {"name": "f"}}')

    response = logged_in.get(f"/instances/{odd.pk}/browse/p/1.0.0/")

    assert "Version 1.0.0 lists no functions for this token" in response.content.decode()
