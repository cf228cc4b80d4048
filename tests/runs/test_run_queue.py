"""The order in which workers claim queued runs: fair between people, interactive runs first,
within each instance's budget and its back-off after a 429."""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from codeengine_ui.domo.errors import RateLimitedError
from codeengine_ui.runs import queue
from codeengine_ui.runs.models import Execution, ExecutionStatus, RunSource, WorkerHeartbeat
from codeengine_ui.runs.services import new_runs, queue_runs, start_run
from codeengine_ui.runs.tasks import finish_call
from tests.conftest import user_with_role

from .conftest import DATABASE_TASKS


@pytest.fixture
def database_queue(settings):
    settings.TASKS = DATABASE_TASKS


@pytest.fixture
def other(django_user_model):
    return user_with_role(django_user_model, "other", "member")


def _room(free=10, share=10, batch_room=10, held=None) -> queue.Room:
    return queue.Room(free=free, share=share, batch_room=batch_room, held=Counter(held or {}))


def _queue(function, token, user, count, source=RunSource.FORM) -> list[Execution]:
    return [start_run(function, {"name": f"{user}-{n}"}, token, user, source) for n in range(count)]


def test_another_persons_run_is_claimed_next_whatever_one_person_queued(
    database_queue, greet, developer_token, member, other
):
    crowd = _queue(greet, developer_token, member, 30)
    first = queue.claim("w", _room(free=2))
    late = _queue(greet, developer_token, other, 1)[0]

    claimed = queue.claim("w", _room(free=2))

    assert {run.pk for run in first} == {crowd[0].pk, crowd[1].pk}
    assert late.pk in [run.pk for run in claimed], "not behind the 28 still queued"
    assert {run.status for run in claimed} == {ExecutionStatus.RUNNING}


def test_a_batch_is_queued_in_a_few_statements_and_still_takes_fair_turns(
    database_queue, greet, developer_token, member, other, django_assert_max_num_queries
):
    batch = new_runs(
        greet, [{"name": f"a-{n}"} for n in range(200)], developer_token, member, RunSource.BATCH
    )
    with django_assert_max_num_queries(10):  # not a few per run
        queue_runs(batch)
    late = new_runs(greet, [{"name": "b"}], developer_token, other, RunSource.BATCH)
    queue_runs(late)

    assert [run.queue_turn for run in batch] == list(range(200))
    stored = Execution.objects.filter(pk__in=[run.pk for run in batch]).order_by("pk")
    assert [run.queue_turn for run in stored] == list(range(200))
    assert {run.status for run in stored} == {ExecutionStatus.QUEUED}
    claimed = queue.claim("w", _room(free=2))
    assert {run.pk for run in claimed} == {batch[0].pk, late[0].pk}, "not behind 199 more"


def test_interactive_runs_go_before_batches_and_batches_leave_the_reserve(
    database_queue, greet, developer_token, member, other
):
    _queue(greet, developer_token, member, 5, RunSource.BATCH)
    interactive = _queue(greet, developer_token, other, 1)[0]

    # Three free slots, of which batches may fill two: the last is kept for interactive runs.
    claimed = queue.claim("w", _room(free=3, batch_room=2))

    assert interactive.pk in {run.pk for run in claimed}
    assert len(claimed) == 2, "the interactive run, and one batch run in the room left"


def test_one_submitter_holds_at_most_its_share_of_a_worker(
    database_queue, greet, developer_token, member
):
    _queue(greet, developer_token, member, 5)
    submitter = (member.pk, None)

    assert len(queue.claim("w", _room(free=5, share=3, held={submitter: 1}))) == 2
    assert queue.claim("w", _room(free=5, share=3, held={submitter: 3})) == []


def test_an_instance_budget_holds_across_claims(
    database_queue, greet, developer_token, member, instance
):
    instance.concurrency_budget = 2
    instance.save()
    _queue(greet, developer_token, member, 5)

    assert len(queue.claim("worker-1", _room())) == 2
    assert queue.claim("worker-2", _room()) == [], "the other worker finds the budget spent"


def test_a_429_holds_back_every_workers_calls_to_that_instance(
    database_queue, greet, developer_token, member, instance
):
    runs = _queue(greet, developer_token, member, 3)
    [first] = queue.claim("w", _room(free=1))

    finish_call(first, None, RateLimitedError("Too many requests", retry_after=30, http_status=429))

    instance.refresh_from_db()
    assert instance.backoff_until > timezone.now() + timedelta(seconds=25)
    assert queue.claim("w", _room()) == [], "nothing is sent to it until Retry-After"
    instance.backoff_until = timezone.now() - timedelta(seconds=1)
    instance.save()
    assert {run.pk for run in queue.claim("w", _room())} == {runs[1].pk, runs[2].pk}


def test_a_queued_run_says_what_it_waits_for(
    database_queue, greet, developer_token, member, other, instance, member_client
):
    now = timezone.now()
    WorkerHeartbeat.objects.create(
        worker_id="w", hostname="here", pid=1, concurrency=8, started_at=now, last_seen_at=now
    )
    instance.concurrency_budget = 1
    instance.save()
    _first, second = _queue(greet, developer_token, member, 2)
    later = _queue(greet, developer_token, other, 1)[0]

    def explained(run):
        return member_client.get(f"/executions/{run.pk}/").content.decode()

    # The other person's run takes its turn beside the first, before the second.
    assert "Waiting for a worker: 1 queued run goes before it." in explained(later)
    assert "Waiting for a worker: 2 queued runs go before it." in explained(second)
    queue.claim("w", _room())
    assert (
        "allows 1 run at once and it is in use: this run starts when that one ends."
        in explained(second)
    )
    instance.backoff_until = timezone.now() + timedelta(minutes=2)
    instance.save()
    assert "answered that it is busy (429): no worker calls it before" in explained(second)
