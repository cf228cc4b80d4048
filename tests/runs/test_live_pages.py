"""Live parts of pages are answered as soon as their runs change, not on a timer."""

import threading
import time

import pytest
from django.db import connection

from codeengine_ui.runs.live import RunWatcher, wait_for_news, watcher
from codeengine_ui.runs.models import Execution, ExecutionStatus

pytestmark = pytest.mark.django_db(transaction=True)


def _queued_run(greet, member) -> Execution:
    return Execution.objects.create(
        function=greet,
        instance=greet.instance,
        instance_name=greet.instance.name,
        package_id=greet.package_id,
        version=greet.version,
        function_name="greet",
        token_label="Developer",
        requested_by=member,
    )


def _finish_later(run: Execution, seconds: float) -> threading.Thread:
    def finish():
        time.sleep(seconds)
        Execution.objects.filter(pk=run.pk).update(status=ExecutionStatus.SUCCESS)
        connection.close()

    thread = threading.Thread(target=finish)
    thread.start()
    return thread


def test_a_page_that_shows_an_old_state_is_answered_at_once(member_client, greet, member):
    run = _queued_run(greet, member)
    started = time.monotonic()

    html = member_client.get(
        f"/executions/{run.pk}/?seen=running%3A1", HTTP_HX_REQUEST="true"
    ).content.decode()

    assert time.monotonic() - started < 1
    assert "Queued" in html


def test_the_answer_comes_as_soon_as_the_run_changes(member_client, greet, member):
    run = _queued_run(greet, member)
    finishing = _finish_later(run, 0.5)
    started = time.monotonic()

    html = member_client.get(
        f"/executions/{run.pk}/?seen=queued%3A1", HTTP_HX_REQUEST="true"
    ).content.decode()

    waited = time.monotonic() - started
    finishing.join()
    assert 0.45 < waited < 1.5, f"answered after {waited:.2f} s"
    assert "Success" in html
    assert "data-live" not in html, "a finished run asks for nothing more"


def test_with_nothing_new_the_answer_comes_when_the_wait_is_up(
    member_client, greet, member, settings
):
    settings.LIVE_WAIT_SECONDS = 0.6
    run = _queued_run(greet, member)
    started = time.monotonic()

    html = member_client.get(
        f"/executions/{run.pk}/?seen=queued%3A1", HTTP_HX_REQUEST="true"
    ).content.decode()

    assert 0.55 < time.monotonic() - started < 2
    assert 'hx-trigger="load, live-resume"' in html, "the page asks again at once"


def test_when_every_waiting_place_is_taken_the_page_asks_again_a_second_later(
    member_client, greet, member, settings
):
    settings.LIVE_WAITERS_PER_PROCESS = 0
    run = _queued_run(greet, member)
    started = time.monotonic()

    html = member_client.get(
        f"/executions/{run.pk}/?seen=queued%3A1", HTTP_HX_REQUEST="true"
    ).content.decode()

    assert time.monotonic() - started < 1
    assert 'hx-trigger="load delay:1s, live-resume"' in html


def test_the_home_count_of_runs_in_flight_changes_when_a_run_ends(member_client, greet, member):
    run = _queued_run(greet, member)
    finishing = _finish_later(run, 0.3)

    html = member_client.get("/home/in-flight/?seen=1", HTTP_HX_REQUEST="true").content.decode()

    finishing.join()
    assert 'hx-get="/home/in-flight/?seen=0"' in html


def test_other_runs_changing_wake_but_do_not_answer(greet, member, settings):
    settings.LIVE_WAIT_SECONDS = 1.5
    watched, other = _queued_run(greet, member), _queued_run(greet, member)
    finishing = _finish_later(other, 0.2)
    started = time.monotonic()

    state, _at_once = wait_for_news(
        "queued:1", lambda: Execution.objects.get(pk=watched.pk).live_state, [watched.pk]
    )

    finishing.join()
    assert state == "queued:1"
    assert time.monotonic() - started > 1.4


def test_a_watcher_that_forgot_old_changes_wakes_everyone_rather_than_miss_one():
    fresh = RunWatcher()
    since = fresh.mark()
    for pk in range(5000):
        fresh.publish(frozenset({pk + 1_000_000}))
    assert fresh.wait(since, frozenset({1}), timeout=0.01)
    assert not fresh.wait(fresh.mark(), frozenset({1}), timeout=0.01)
    assert watcher is not fresh
