"""Who may do what with a table run, a DataSet read with the token on the form, verdicts
by a test case, and drafts that are forgotten."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from codeengine_ui.runs.models import Execution
from codeengine_ui.runs.services import RunNotAllowed
from codeengine_ui.suites.models import Case
from codeengine_ui.tables.models import RowVerdict, TableRun
from codeengine_ui.tables.services import (
    Judging,
    draft_from_rows,
    forget_old_drafts,
    queue_waiting_rows,
    start_table_run,
)
from tests.conftest import DEVELOPER_TOKEN, make_token, user_with_role

pytestmark = pytest.mark.django_db(transaction=True)
PEOPLE = "9b1c4e2a-0000-4000-8000-000000000005"


def test_a_draft_is_only_its_makers(client, greet, member, django_user_model):
    draft = draft_from_rows(greet, member, [{"name": "Ada"}])
    other = user_with_role(django_user_model, "other", "member")
    client.force_login(other)

    assert client.get(f"/table-runs/{draft.pk}/").status_code == 404
    assert client.post(f"/table-runs/{draft.pk}/mapping/", {"action": "start"}).status_code == 404


def test_a_viewer_starts_nothing(client, greet, viewer):
    client.force_login(viewer)

    assert client.get(f"/functions/{greet.pk}/table/").status_code == 403


def test_the_token_is_checked_when_the_run_starts(greet, member, instance, admin_user):
    private = make_token(instance, "Private", "private-token-000000000000000", admin_user,
                         shared=False)  # fmt: skip
    draft = draft_from_rows(greet, member, [{"name": "Ada"}])

    with pytest.raises(RunNotAllowed):
        start_table_run(draft, member, private)

    draft.refresh_from_db()
    assert draft.is_draft and not draft.rows.exists()


def test_a_dataset_is_read_with_the_token_on_the_form(member_client, greet, developer_token,
                                                      analyst_token):  # fmt: skip
    form = {"source": "dataset", "dataset_id": PEOPLE, "row_limit": 5}
    refused = member_client.post(f"/functions/{greet.pk}/table/",
                                 {**form, "token": analyst_token.pk})  # fmt: skip
    read = member_client.post(f"/functions/{greet.pk}/table/",
                              {**form, "token": developer_token.pk})  # fmt: skip

    assert "may not read this DataSet" in refused.content.decode()
    draft = TableRun.objects.get()
    assert read.url == f"/table-runs/{draft.pk}/"
    assert (draft.source_name, draft.total_rows, draft.more_rows) == ("People to greet", 5, True)
    assert draft.mapping == {"name": {"column": "name"}, "excited": {"column": "excited"}}
    page = member_client.get(read.url).content.decode()
    assert "All 5 rows fit the inputs" in page
    assert DEVELOPER_TOKEN not in page


def test_a_dataset_read_is_bounded_by_the_tables_row_limit(member_client, greet,
                                                          developer_token):  # fmt: skip
    form = {"source": "dataset", "dataset_id": PEOPLE, "token": developer_token.pk}

    refused = member_client.post(f"/functions/{greet.pk}/table/",
                                 {**form, "row_limit": 10**20})  # fmt: skip

    assert refused.status_code == 200
    assert "less than or equal to 10000" in refused.content.decode()
    assert not TableRun.objects.exists()


def test_rows_are_judged_by_a_test_cases_expectations(greet, member, developer_token,
                                                      worker_thread):  # fmt: skip
    case = Case.objects.create(function=greet, name="greets politely", input_variables={},
                               expectations=[{"kind": "path", "path": "$",
                                              "matches": "^Hello, [A-Z][a-z]+\\.$"}])  # fmt: skip
    draft = draft_from_rows(greet, member, [{"name": "Ada"}, {"name": "ada"}])

    table_run = start_table_run(draft, member, developer_token,
                                judging=Judging(judged_by="case", case=case))  # fmt: skip

    deadline = time.monotonic() + 20
    while table_run.rows.filter(verdict=RowVerdict.PENDING).exists():
        assert time.monotonic() < deadline, "the rows were not judged"
        time.sleep(0.05)
    assert list(table_run.rows.order_by("number").values_list("verdict", flat=True)) == [
        RowVerdict.PASS, RowVerdict.FAIL]  # fmt: skip


def test_drafts_never_run_are_forgotten(greet, member, settings):
    settings.TABLE_DRAFT_HOURS = 24
    old = draft_from_rows(greet, member, [{"name": "Ada"}])
    TableRun.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=25))
    fresh = draft_from_rows(greet, member, [{"name": "Grace"}])

    assert forget_old_drafts() == 1
    assert list(TableRun.objects.values_list("pk", flat=True)) == [fresh.pk]


def test_rows_are_queued_a_chunk_at_a_time_as_the_person_who_started(
    greet, member, developer_token, monkeypatch, worker_thread
):
    monkeypatch.setattr("codeengine_ui.tables.services.QUEUE_CHUNK", 2)
    draft = draft_from_rows(greet, member, [{"name": f"P{n}"} for n in range(5)])

    table_run = start_table_run(draft, member, developer_token)
    queued_at_start = Execution.objects.count()

    deadline = time.monotonic() + 20
    while table_run.rows.filter(execution__isnull=True).exists():
        assert time.monotonic() < deadline, "the waiting rows were not queued"
        time.sleep(0.05)
    assert queued_at_start == 2
    assert {e.requested_by_id for e in Execution.objects.all()} == {member.pk}


def test_waiting_rows_do_not_run_once_the_person_may_not(greet, member, developer_token,
                                                         monkeypatch):  # fmt: skip
    monkeypatch.setattr("codeengine_ui.tables.services.QUEUE_CHUNK", 2)
    draft = draft_from_rows(greet, member, [{"name": f"P{n}"} for n in range(5)])
    table_run = start_table_run(draft, member, developer_token)
    member.groups.clear()

    assert queue_waiting_rows() == 0

    table_run.refresh_from_db()
    assert (table_run.skipped_rows, Execution.objects.count()) == (3, 2)
    assert "Its run could not start: Running functions needs the member role." in str(
        table_run.rows.get(number=5).problems
    )
