"""Names instead of ids: a person key input reads "Ada Lovelace (481303514)" in the
history, from names kept in the database and refreshed in bulk, never fetched while the
page renders; an id the instance no longer knows says so."""

import pytest

from codeengine_ui.catalog.models import DirectoryName
from codeengine_ui.runs.names import refresh_directory_names
from tests.conftest import save_demo_function, stored_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def order_runs(instance, developer_token, member):
    order = save_demo_function(instance, developer_token, "describeTypes")
    order.key_inputs = ["person"]
    order.save()
    known = stored_run(order, developer_token, member, {"person": "481303516"})
    gone = stored_run(order, developer_token, member, {"person": "999"})
    return known, gone


def test_the_history_shows_people_by_name_once_refreshed(member_client, order_runs, emulator):
    before = member_client.get("/executions/").content.decode()
    assert "person: 481303516" in before

    assert refresh_directory_names.call() == 2
    calls = emulator.server.emulator.stats()
    after = member_client.get("/executions/").content.decode()

    assert "person: Alan Turing (481303516)" in after  # a name given only as an attribute
    assert "person: 999 (no longer resolves)" in after
    assert emulator.server.emulator.stats() == calls, "rendering asks the instance nothing"
    assert DirectoryName.objects.get(entity_id="999").resolved is False


def test_names_found_by_a_picker_are_kept(member_client, order_runs, developer_token):
    function = order_runs[0].function
    member_client.get(
        f"/functions/{function.pk}/directory/person/", {"q": "grace", "token": developer_token.pk}
    )
    assert DirectoryName.objects.get(entity_id="481303515").name == "Grace Hopper"


def test_fresh_names_are_not_asked_for_again(order_runs):
    refresh_directory_names.call()
    assert refresh_directory_names.call() == 0
