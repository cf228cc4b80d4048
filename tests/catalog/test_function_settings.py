"""Members rename a saved function, point it at another version or token, and delete it."""

import pytest

from codeengine_ui.catalog.models import Function
from codeengine_ui.runs.models import Execution
from tests.conftest import make_token, save_demo_function, stored_run

pytestmark = pytest.mark.django_db


def test_a_member_renames_a_function_and_changes_its_default_token(member_client, greet, instance):
    other = make_token(instance, "Service account", "service-token-value")

    response = member_client.post(
        f"/functions/{greet.pk}/edit/",
        {"display_name": "Say hello", "version": greet.version, "default_token": other.pk},
    )

    assert response.status_code == 302
    greet.refresh_from_db()
    assert (greet.display_name, greet.default_token) == ("Say hello", other)


def test_pointing_at_another_version_reads_its_inputs_from_the_instance(
    member_client, instance, developer_token
):
    old = save_demo_function(instance, developer_token, "greet", version="1.0.0")
    assert "excited" not in [p["name"] for p in old.parameters]

    response = member_client.post(
        f"/functions/{old.pk}/edit/",
        {"display_name": "", "version": "1.1.0", "default_token": developer_token.pk},
    )

    assert response.status_code == 302
    old.refresh_from_db()
    assert old.version == "1.1.0"
    assert "excited" in [p["name"] for p in old.parameters]


def test_a_version_the_instance_does_not_have_is_refused_and_nothing_changes(
    member_client, greet, developer_token
):
    response = member_client.post(
        f"/functions/{greet.pk}/edit/",
        {"display_name": "", "version": "9.9.9", "default_token": developer_token.pk},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "This version could not be read" in html
    greet.refresh_from_db()
    assert greet.version != "9.9.9"


def test_a_version_already_saved_is_named(member_client, instance, developer_token):
    old = save_demo_function(instance, developer_token, "greet", version="1.0.0")
    save_demo_function(instance, developer_token, "greet", version="1.1.0")

    response = member_client.post(
        f"/functions/{old.pk}/edit/", {"display_name": "", "version": "1.1.0"}
    )

    assert "Version 1.1.0 of this function is already saved" in response.content.decode()


def test_deleting_asks_first_and_keeps_the_runs(member_client, greet, developer_token, member):
    run = stored_run(greet, developer_token, member)

    confirm = member_client.get(f"/functions/{greet.pk}/delete/").content.decode()
    assert "1 run stays in the history" in confirm
    assert Function.objects.filter(pk=greet.pk).exists()

    member_client.post(f"/functions/{greet.pk}/delete/")

    assert not Function.objects.filter(pk=greet.pk).exists()
    kept = Execution.objects.get(pk=run.pk)
    assert (kept.function_id, kept.function_name) == (None, "greet")


def test_viewers_may_not_edit_or_delete(client, viewer, greet):
    client.force_login(viewer)
    assert client.post(f"/functions/{greet.pk}/edit/", {"version": "1.0.0"}).status_code == 403
    assert client.post(f"/functions/{greet.pk}/delete/").status_code == 403
    assert Function.objects.filter(pk=greet.pk).exists()


def test_only_an_admin_sets_a_functions_time_limit(client, member_client, admin_user, greet):
    page = member_client.get(f"/functions/{greet.pk}/edit/").content.decode()
    assert "time_limit_seconds" not in page
    member_client.post(
        f"/functions/{greet.pk}/edit/",
        {"display_name": "", "version": greet.version, "time_limit_seconds": "5"},
    )
    greet.refresh_from_db()
    assert greet.time_limit_seconds is None

    client.force_login(admin_user)
    assert "time_limit_seconds" in client.get(f"/functions/{greet.pk}/edit/").content.decode()
    refused = client.post(
        f"/functions/{greet.pk}/edit/",
        {"display_name": "", "version": greet.version, "time_limit_seconds": "900"},
    )
    assert "Ensure this value is less than or equal to 330" in refused.content.decode()
    client.post(
        f"/functions/{greet.pk}/edit/",
        {"display_name": "", "version": greet.version, "time_limit_seconds": "20"},
    )
    greet.refresh_from_db()
    assert greet.time_limit_seconds == 20


def test_the_limit_fields_draw_the_bounds_the_server_checks(client, admin_user, greet, instance):
    client.force_login(admin_user)
    settings_page = client.get(f"/functions/{greet.pk}/edit/").content.decode()
    instance_page = client.get(f"/instances/{instance.pk}/").content.decode()

    assert 'name="time_limit_seconds" min="1" max="330"' in settings_page
    assert 'name="concurrency_budget" min="1" max="100000"' in instance_page
