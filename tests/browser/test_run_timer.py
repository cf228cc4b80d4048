"""A running run's timer counts from the run's real start on the server's clock, from the
moment the page arrives."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from codeengine_ui.runs.models import ExecutionStatus
from tests.conftest import stored_run

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOWN_WITH_CLOCK = """
() => [document.querySelector("[data-elapsed]").textContent, Date.now()]
"""


@pytest.fixture
def running(greet, developer_token, member):
    member.set_password("member-password")
    member.save()
    return stored_run(
        greet,
        developer_token,
        member,
        {"name": "Ada"},
        status=ExecutionStatus.RUNNING,
        started_at=timezone.now() - timedelta(seconds=30),
    )


def _seconds(text: str) -> float:
    assert re.fullmatch(r"\d+\.\d s", text), text
    return float(text.removesuffix(" s"))


@pytest.mark.parametrize("clock_off_by", [timedelta(0), timedelta(hours=-1)], ids=["right", "off"])
def test_the_timer_of_a_running_run_shows_the_time_since_it_started(
    browser, live_server, running, clock_off_by
):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    log_in(page, "member", "member-password")
    if clock_off_by:
        page.clock.install(time=timezone.now() + clock_off_by)
    page.goto(f"/executions/{running.pk}/")
    page.wait_for_load_state("load")

    shown_at_once = _seconds(page.evaluate(SHOWN_WITH_CLOCK)[0])
    since_start_at_once = (timezone.now() - running.started_at).total_seconds()
    page.wait_for_timeout(1500)
    later, _ = page.evaluate(SHOWN_WITH_CLOCK)
    since_start = (timezone.now() - running.started_at).total_seconds()
    context.close()

    # The time since the run started (30 s before the page was asked for), however long
    # the page took to load: not the time since the page loaded, nor the browser's clock.
    assert 30 <= shown_at_once <= since_start_at_once
    # A stopwatch: never ahead, at most a tick (and the time to read it) behind.
    assert since_start - 0.4 <= _seconds(later) <= since_start
