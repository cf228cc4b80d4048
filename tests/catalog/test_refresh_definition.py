"""Refreshing a saved function's definition shows what changed before applying it."""

from codeengine_ui.catalog.models import Function
from codeengine_ui.parameters.definitions import normalise_parameters
from tests.conftest import save_demo_function


def test_refresh_shows_added_removed_and_retyped_inputs_then_applies(
    admin_client, instance, developer_token
):
    greet = save_demo_function(instance, developer_token, "greet")
    Function.objects.filter(pk=greet.pk).update(
        parameters=normalise_parameters(
            [
                {"name": "name", "alias": "personName", "type": "number"},
                {"name": "retired", "type": "text"},
            ]
        ),
        output=None,
    )

    page = admin_client.get(f"/functions/{greet.pk}/refresh/").content.decode()

    assert "Added</span> <code>excited</code>" in page
    assert "Removed</span> <code>retired</code>" in page
    assert 'Retyped</span> <code>name</code> <span class="muted">number → text' in page
    assert "nothing → text" in page

    response = admin_client.post(f"/functions/{greet.pk}/refresh/")

    greet.refresh_from_db()
    assert response["Location"] == f"/functions/{greet.pk}/run/"
    assert [(p["name"], p["type"], p["alias"]) for p in greet.parameters] == [
        ("name", "text", "personName"),
        ("excited", "boolean", None),
    ]
    assert greet.output["type"] == "text"


def test_refresh_says_when_nothing_changed(admin_client, instance, developer_token):
    greet = save_demo_function(instance, developer_token, "greet")

    page = admin_client.get(f"/functions/{greet.pk}/refresh/").content.decode()

    assert "nothing changed" in page


def test_refresh_of_an_unreleased_version_is_explained(admin_client, instance, developer_token):
    unreleased = save_demo_function(instance, developer_token, "greet", version="1.3.0")

    response = admin_client.get(f"/functions/{unreleased.pk}/refresh/")

    assert response.status_code == 200
    assert "not released" in response.content.decode()
