"""Saved functions that pin an older version than the newest released one are flagged."""

from codeengine_ui.catalog.importing import check_newest_versions
from codeengine_ui.catalog.models import AccessToken, Function
from codeengine_ui.catalog.tasks import check_function_versions
from codeengine_ui.domo.versions import version_key
from tests.conftest import DEVELOPER_TOKEN, make_token, save_demo_function, stored_run


def test_versions_compare_in_release_order():
    assert version_key("1.10.0") > version_key("1.9.0") > version_key("1.2")


def test_newest_released_version_is_recorded_once_per_package(instance, developer_token):
    old = save_demo_function(instance, developer_token, "greet", version="1.0.0")
    new = save_demo_function(instance, developer_token, "addNumbers", version="1.2.0")

    assert check_newest_versions() == 2

    old.refresh_from_db(), new.refresh_from_db()
    assert (old.newest_version, old.is_outdated) == ("1.2.0", True)
    assert (new.newest_version, new.is_outdated) == ("1.2.0", False)
    assert old.versions_checked_at is not None


def test_the_periodic_check_skips_functions_checked_recently(instance, developer_token):
    save_demo_function(instance, developer_token, "greet", version="1.0.0")

    assert check_function_versions.enqueue().return_value == 1
    assert check_function_versions.enqueue().return_value == 0


def test_check_version_button_says_what_it_found(member_client, instance, developer_token):
    old = save_demo_function(instance, developer_token, "greet", version="1.0.0")

    response = member_client.post(f"/functions/{old.pk}/check-version/", follow=True)

    html = response.content.decode()
    assert "Version 1.2.0 is released; this function runs 1.0.0." in html
    assert "1.2.0 is released</span>" in html


def test_an_instance_that_cannot_be_asked_is_skipped(instance, analyst_token, developer_token):
    private = save_demo_function(
        instance,
        analyst_token,
        "greet",
        version="2.0.0",
        package_id="b7e2d9a4-1c3f-4e5a-8b6d-0f9e8d7c6b5a",
    )

    assert check_newest_versions(Function.objects.filter(pk=private.pk)) == 0
    private.refresh_from_db()
    assert private.newest_version == "" and private.versions_checked_at is None


def test_key_inputs_are_chosen_on_the_function_page(member_client, greet):
    member_client.post(f"/functions/{greet.pk}/key-inputs/", {"key_inputs": ["name"]})
    too_many = member_client.post(
        f"/functions/{greet.pk}/key-inputs/", {"key_inputs": ["name", "nope"]}, follow=True
    )

    greet.refresh_from_db()
    assert greet.key_inputs == ["name"]
    assert "Select a valid choice" in too_many.content.decode()


def test_members_learn_nothing_through_a_token_not_granted_to_them(
    client, member, instance, developer_token, admin_user
):
    """A member imported a function with no token; the hourly check used another token of
    the instance, not granted to this member: the member is not told what it found."""
    private = make_token(instance, "Ops only", DEVELOPER_TOKEN, admin_user, shared=False)
    AccessToken.objects.filter(pk=developer_token.pk).update(is_active=False)
    old = save_demo_function(instance, None, "greet", version="1.0.0")

    assert check_newest_versions() == 1

    old.refresh_from_db()
    assert (old.newest_version, old.newest_version_token) == ("1.2.0", private)
    client.force_login(member)
    pages = [f"/functions/{old.pk}/run/", "/", "/executions/"]
    stored_run(old, private, member, {"name": "Ada"})
    for page in pages:
        assert "1.2.0" not in client.get(page).content.decode(), page
    private.granted_users.add(member)
    assert "1.2.0 is released" in client.get(f"/functions/{old.pk}/run/").content.decode()
    client.force_login(admin_user)
    assert "1.2.0" in client.get("/").content.decode()
