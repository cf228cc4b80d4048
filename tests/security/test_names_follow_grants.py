"""Names read from an instance's directory reach only the people who may use a token that
read them (admins: all): a member whose token may not list people never learns a person's
name or email through another member's token, whether the hourly job read it or a picker.

Given: the Analyst token, granted to all members, whose Domo user may not list people, and
the Developer token, granted to one other member and used by them a moment ago. Both
members ran a function with the person 481303516 (Alan Turing) as its key input."""

import json

import pytest

from codeengine_ui.access.models import ApiKey
from codeengine_ui.runs.names import refresh_directory_names
from tests.conftest import (
    ANALYST_TOKEN,
    DEVELOPER_TOKEN,
    make_token,
    save_demo_function,
    stored_run,
    user_with_role,
)

pytestmark = pytest.mark.django_db

ALAN = "481303516"
SECRETS_OF_THE_DIRECTORY = ("Alan Turing", "alan@acme.example")


@pytest.fixture
def analyst(instance, admin_user):
    return make_token(instance, "Analyst", ANALYST_TOKEN, admin_user, shared=True)


@pytest.fixture
def developer(instance, admin_user, colleague):
    token = make_token(instance, "Developer", DEVELOPER_TOKEN, admin_user, shared=False)
    token.granted_users.add(colleague)
    token.record_use(colleague)  # the most recently used token of the instance
    return token


@pytest.fixture
def colleague(django_user_model):
    return user_with_role(django_user_model, "colleague", "member")


@pytest.fixture
def runs(instance, analyst, developer, member, colleague):
    function = save_demo_function(instance, analyst, "describeTypes")
    function.key_inputs = ["person"]
    function.save()
    mine = stored_run(function, analyst, member, {"person": ALAN}, status="SUCCESS")
    theirs = stored_run(function, developer, colleague, {"person": ALAN}, status="SUCCESS")
    refresh_directory_names.call()
    return mine, theirs


def _text(response) -> str:
    assert response.status_code == 200
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def _pages(client, runs, api_headers: dict | None = None, *, pickers: bool = True) -> dict:
    """Every place a run's named inputs are shown, as the client sees them."""
    mine, theirs = runs
    function = mine.function
    pages = {
        "history": client.get("/executions/"),
        "history rows in flight": client.get("/executions/live/", {"run": [mine.pk]}),
        "run page": client.get(f"/executions/{mine.pk}/"),
        "compare": client.get("/executions/compare/", {"a": mine.pk, "b": theirs.pk}),
        "CSV export": client.get("/executions/export.csv"),
        "JSON Lines export": client.get("/executions/export.jsonl"),
    }
    if api_headers is not None:
        pages.update({
            "API run": client.get(f"/api/v1/runs/{mine.pk}", headers=api_headers),
            "API history": client.get("/api/v1/runs", headers=api_headers),
            "API CSV export": client.get("/api/v1/runs/export.csv", headers=api_headers),
            "API JSON Lines export": client.get("/api/v1/runs/export.jsonl", headers=api_headers),
        })  # fmt: skip
    if pickers:
        picker = f"/functions/{function.pk}/directory/person/"
        token = {"token": function.default_token_id}
        pages["picker's check of an id"] = client.get(picker, {"id": ALAN, **token})
        pages["picker's suggestions"] = client.get(picker, {"q": "alan", **token})
    return {where: _text(response) for where, response in pages.items()}


def _api_headers(user) -> dict:
    _key, secret = ApiKey.issue(user, "names", scope="read")
    return {"Authorization": f"Bearer {secret}"}


def test_a_member_never_sees_a_name_read_with_a_token_not_granted_to_them(client, member, runs):
    client.force_login(member)
    for where, text in _pages(client, runs, _api_headers(member)).items():
        for secret in SECRETS_OF_THE_DIRECTORY:
            assert secret not in text, f"{secret} shown to the member on the {where}"
    history = client.get("/executions/").content.decode()
    assert f"person: {ALAN}" in history  # the id, as the member's own token gives it


def test_the_picker_says_the_members_token_may_not_list_people(client, member, runs):
    client.force_login(member)
    checked = _pages(client, runs)["picker's check of an id"]
    assert "may not list people on the instance; typing an id still works" in checked


def test_those_who_may_use_the_token_that_read_a_name_see_it(client, colleague, admin_user, runs):
    for user in (colleague, admin_user):
        client.force_login(user)
        pages = _pages(client, runs, _api_headers(user))
        for where in ("history", "run page", "compare", "CSV export", "API run"):
            assert "Alan Turing" in pages[where], f"{user} does not see the name on the {where}"
        records = [json.loads(line) for line in pages["JSON Lines export"].splitlines()]
        assert {r["id"]: r["input_names"] for r in records}[runs[0].pk] == {
            "person": [f"Alan Turing ({ALAN})"]
        }


def test_a_viewer_who_may_use_no_token_sees_ids_only(client, viewer, runs):
    client.force_login(viewer)
    for where, text in _pages(client, runs, _api_headers(viewer), pickers=False).items():
        assert "Alan Turing" not in text, f"the name shown to a viewer on the {where}"


def test_a_name_stops_showing_when_its_token_is_no_longer_granted(client, colleague, runs):
    _mine, theirs = runs
    theirs.token.granted_users.remove(colleague)
    client.force_login(colleague)
    assert "Alan Turing" not in client.get(f"/executions/{theirs.pk}/").content.decode()


def test_the_hourly_job_reads_each_run_with_its_own_token(runs):
    """Alan is read for the colleague's run with the Developer token, and kept with it; the
    member's run is read with the member's token, which may not list people: nothing kept."""
    from codeengine_ui.catalog.models import DirectoryName

    kept = {(row.token.label, row.entity_id, row.resolved) for row in DirectoryName.objects.all()}
    assert kept == {("Developer", ALAN, True)}


def test_the_history_reads_which_tokens_its_viewer_may_use_once(client, member, runs):
    """Names and newer releases both follow grants: one look at the grants per page, however
    many rows it shows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    mine, _theirs = runs
    for _ in range(30):
        stored_run(mine.function, mine.token, member, {"person": ALAN}, status="SUCCESS")
    client.force_login(member)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/executions/").status_code == 200
    grants = [q["sql"] for q in queries if "granted" in q["sql"]]
    assert len(grants) == 1, grants
