"""Pickers for person, group, DataSet and account inputs: searched on the instance with a
token granted to the user, read leniently, and never in the way of typing an id."""

import pytest

from codeengine_ui.domo.client import DirectoryEntry
from tests.conftest import save_demo_function

pytestmark = pytest.mark.django_db


@pytest.fixture
def kitchen(instance, developer_token):
    return save_demo_function(instance, developer_token, "describeTypes")


def _search(client, function, kind, text, token):
    query = {"q": text, "token": token.pk if token else ""}
    response = client.get(f"/functions/{function.pk}/directory/{kind}/", query)
    assert response.status_code == 200
    return response.content.decode()


MUTED = '<span class="muted">'


@pytest.mark.parametrize(
    ("kind", "text", "shown"),
    [
        (
            "person",
            "ada",
            f"Ada Lovelace</span> {MUTED}· ada@acme.example</span></span> {MUTED}(481303514)",
        ),
        ("person", "turing", "Alan Turing"),  # its fields come only as attributes
        ("group", "fin", 'data-value="1201"'),  # groups are keyed groupId
        ("dataset", "sales", f"Sales pipeline</span> {MUTED}· 1.2 M rows"),
        ("account", "snow", f"Snowflake warehouse</span> {MUTED}· snowflake"),
    ],
)
def test_the_instance_is_searched_and_read_leniently(
    member_client, kitchen, developer_token, kind, text, shown
):
    assert shown in _search(member_client, kitchen, kind, text, developer_token)


def test_a_token_that_may_not_list_people_says_so_and_typing_still_works(
    member_client, kitchen, analyst_token
):
    html = _search(member_client, kitchen, "person", "ada", analyst_token)
    assert "may not list people on the instance; typing an id still works" in html


def test_only_a_token_granted_to_the_user_searches(member_client, kitchen, instance):
    from tests.conftest import make_token

    private = make_token(instance, "Private", "private-token-000000000000000", shared=False)
    html = _search(member_client, kitchen, "person", "ada", private)
    assert "Choose a token granted to you" in html and "Ada" not in html


def test_viewers_trigger_no_search(client, viewer, kitchen, developer_token):
    client.force_login(viewer)
    response = client.get(
        f"/functions/{kitchen.pk}/directory/person/", {"q": "ada", "token": developer_token.pk}
    )
    assert response.status_code == 403


def test_entries_read_from_odd_shapes(instance, developer_token):
    client = developer_token.client()
    assert client.search_directory("group", "sales") == [
        DirectoryEntry("1202", "Sales operations", "open")
    ]
    assert [e.name for e in client.search_directory("dataset", "")][:2] == [
        "Sales pipeline",
        "Sales targets 2026",
    ]


def _check(client, function, kind, entity_id, token):
    query = {"id": entity_id, "token": token.pk}
    response = client.get(f"/functions/{function.pk}/directory/{kind}/", query)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("kind", "entity_id", "shown"),
    [
        ("person", "481303516", "Alan Turing"),
        ("person", "77", "No person has the id 77 on this instance."),
        ("person", "ada", "No person has the id ada on this instance."),
        ("group", "1202", "Sales operations"),  # by id, a group is keyed id
        ("group", "../../admin", "No group has the id ../../admin on this instance."),
        ("dataset", "9b1c4e2a-0000-4000-8000-000000000001", "Sales targets 2026"),
        ("account", "31", "Salesforce (production)"),
        ("account", "99", "No account has the id 99 on this instance."),
    ],
)
def test_a_typed_id_is_checked_with_the_instance_and_kept(
    member_client, kitchen, developer_token, emulator, kind, entity_id, shown
):
    assert shown in _check(member_client, kitchen, kind, entity_id, developer_token)
    calls = emulator.server.emulator.stats()
    assert shown in _check(member_client, kitchen, kind, entity_id, developer_token)
    assert emulator.server.emulator.stats() == calls, "a kept name is not asked for again"


def test_checking_an_id_with_a_token_that_may_not_list_people_says_so(
    member_client, kitchen, analyst_token
):
    html = _check(member_client, kitchen, "person", "481303514", analyst_token)
    assert "may not list people on the instance; typing an id still works" in html
