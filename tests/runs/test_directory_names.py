"""Names instead of ids: a person key input reads "Ada Lovelace (481303514)" in the
history, from names kept in the database and refreshed in bulk, never fetched while the
page renders; an id the instance no longer knows says so."""

import json

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


@pytest.fixture
def share_runs(instance, developer_token, member):
    share = save_demo_function(instance, developer_token, "shareDataset")
    share.key_inputs = ["recipients", "dataset"]
    share.save()
    first = stored_run(share, developer_token, member, {
        "dataset": "9b1c4e2a-0000-4000-8000-000000000000",
        "recipients": ["481303514", "481303516"], "teams": [1201, 4040],
        "account": {"id": 32},
    })  # fmt: skip
    second = stored_run(share, developer_token, member, {
        "dataset": "9b1c4e2a-0000-4000-8000-000000000003",
        "recipients": ["481303515"], "teams": None, "account": "31",
    })  # fmt: skip
    return first, second


def test_groups_datasets_accounts_and_lists_are_named_too(member_client, share_runs, emulator):
    assert refresh_directory_names.call() == 9
    calls = emulator.server.emulator.stats()

    history = member_client.get("/executions/").content.decode()
    assert 'title="recipients: Ada Lovelace (481303514), Alan Turing (481303516)"' in history
    run_page = member_client.get(f"/executions/{share_runs[0].pk}/").content.decode()
    assert "Sales pipeline" in run_page and "1.2 M rows" in run_page
    assert "Finance" in run_page and '4040 <span class="muted">(no longer resolves)' in run_page
    assert "Snowflake warehouse" in run_page and "snowflake" in run_page
    compare = member_client.get(
        "/executions/compare/", {"a": share_runs[0].pk, "b": share_runs[1].pk}
    ).content.decode()
    assert (
        "Grace Hopper" in compare and "Orders" in compare and "Salesforce (production)" in compare
    )
    assert emulator.server.emulator.stats() == calls, "rendering asks the instance nothing"


def test_exports_carry_the_names(member_client, share_runs):
    refresh_directory_names.call()

    lines = b"".join(member_client.get("/executions/export.jsonl").streaming_content)
    records = {record["id"]: record for record in map(json.loads, lines.splitlines())}
    assert records[share_runs[0].pk]["input_names"] == {
        "dataset": ["Sales pipeline (9b1c4e2a-0000-4000-8000-000000000000)"],
        "recipients": ["Ada Lovelace (481303514)", "Alan Turing (481303516)"],
        "teams": ["Finance (1201)", "4040 (no longer resolves)"],
        "account": ["Snowflake warehouse (32)"],
    }
    table = b"".join(member_client.get("/executions/export.csv").streaming_content).decode()
    assert "Grace Hopper (481303515)" in table


def test_a_viewer_who_may_use_no_token_sees_ids_and_may_not_search(client, viewer, share_runs):
    """A name is shown to those who may use the token that read it (see tests/security)."""
    refresh_directory_names.call()
    client.force_login(viewer)
    history = client.get("/executions/").content.decode()
    assert "Ada Lovelace" not in history and "481303514" in history
    function = share_runs[0].function
    searched = client.get(f"/functions/{function.pk}/directory/person/", {"q": "ada"})
    assert searched.status_code == 403


def test_names_read_are_remembered_for_a_minute_and_forgotten_when_stored_anew(
    order_runs, member, django_assert_num_queries
):
    from codeengine_ui.catalog.models import UsableTokens
    from codeengine_ui.domo.client import DirectoryEntry

    known = order_runs[0]
    key = (known.instance_id, "person", "481303516")
    tokens = UsableTokens(member)
    assert DirectoryName.kept({key}, tokens) == {}
    with django_assert_num_queries(0):
        assert DirectoryName.kept({key}, tokens) == {}  # "no name" is remembered too
    DirectoryName.remember(known.token, "person", [DirectoryEntry("481303516", "Alan")])
    assert DirectoryName.kept({key}, tokens)[key].name == "Alan"


def test_the_api_gives_the_names_with_the_inputs(client, share_runs, member):
    from codeengine_ui.access.models import ApiKey

    refresh_directory_names.call()
    _key, secret = ApiKey.issue(member, "names", scope="read")
    headers = {"Authorization": f"Bearer {secret}"}
    run = client.get(f"/api/v1/runs/{share_runs[0].pk}", headers=headers).json()
    assert run["input_names"]["recipients"] == [
        "Ada Lovelace (481303514)",
        "Alan Turing (481303516)",
    ]
    listed = client.get("/api/v1/runs", headers=headers).json()["runs"]
    assert {r["id"]: r["input_names"] for r in listed}[share_runs[1].pk]["account"] == [
        "Salesforce (production) (31)"
    ]
