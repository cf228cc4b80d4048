"""Saved functions that pin an older version than the newest released one are flagged."""

from codeengine_ui.catalog.importing import check_newest_versions
from codeengine_ui.catalog.models import Function, version_key
from codeengine_ui.catalog.tasks import check_function_versions
from tests.conftest import save_demo_function


def test_versions_compare_in_release_order():
    assert version_key("1.10.0") > version_key("1.9.0") > version_key("1.2")


def test_newest_released_version_is_recorded_once_per_package(instance, developer_token):
    old = save_demo_function(instance, developer_token, "greet", version="1.0.0")
    new = save_demo_function(instance, developer_token, "addNumbers")

    assert check_newest_versions() == 2

    old.refresh_from_db(), new.refresh_from_db()
    assert (old.newest_version, old.is_outdated) == ("1.1.0", True)
    assert (new.newest_version, new.is_outdated) == ("1.1.0", False)
    assert old.versions_checked_at is not None


def test_the_periodic_check_skips_functions_checked_recently(instance, developer_token):
    save_demo_function(instance, developer_token, "greet", version="1.0.0")

    assert check_function_versions.enqueue().return_value == 1
    assert check_function_versions.enqueue().return_value == 0


def test_check_version_button_says_what_it_found(member_client, instance, developer_token):
    old = save_demo_function(instance, developer_token, "greet", version="1.0.0")

    response = member_client.post(f"/functions/{old.pk}/check-version/", follow=True)

    html = response.content.decode()
    assert "Version 1.1.0 is released; this function runs 1.0.0." in html
    assert "1.1.0 is released</span>" in html


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
