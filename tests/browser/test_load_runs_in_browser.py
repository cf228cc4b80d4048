"""A load run started from its page in the browser: the chart grows live, 429s are marked
where they began, the verdict comes at the end, and two load runs compare side by side."""

import pytest
from playwright.sync_api import expect

from codeengine_ui.access.roles import allow_load_runs
from tests.conftest import save_demo_function, user_with_role

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _start(page, function, *, users: str, duration: str, inputs: str) -> None:
    page.goto(f"/functions/{function.pk}/load/")
    page.get_by_label("Inputs (inputVariables, JSON)").fill(inputs)
    page.get_by_label("Virtual users").fill(users)
    page.get_by_label("A duration").check()
    page.get_by_label("Duration", exact=True).fill(duration)
    page.get_by_label("Ramp up over").fill("1s")
    page.get_by_label("Pass if p95 latency is below (ms)").fill("5000")
    page.get_by_label("Pass if the error rate is below (%)").fill("1")
    page.get_by_role("button", name="Start the load run").click()


def test_a_load_run_is_followed_live_and_compared(
    page, worker_thread, django_user_model, instance, developer_token
):
    tester = user_with_role(django_user_model, "tester", "member")
    allow_load_runs(tester, True)
    busy = save_demo_function(instance, developer_token, "busyService")
    log_in(page, "tester", "tester-password")

    _start(page, busy, users="8", duration="3s", inputs='{"seconds": 0.2}')

    live = page.locator("#load-run-live")
    expect(live.locator(".load-progress")).to_contain_text("active virtual user", timeout=10_000)
    expect(live.locator("svg.chart polyline.latency-p95")).to_be_attached(timeout=10_000)
    first = live.locator("svg.chart rect").count()
    expect(live.locator("svg.chart g.onset")).to_contain_text("429s began", timeout=10_000)
    expect(live.locator("h2 .badge")).to_have_text("Finished: Fail", timeout=15_000)
    assert live.locator("svg.chart rect").count() > first  # the chart grew as it ran
    expect(live.locator(".load-checks")).to_contain_text("Fail error rate below 1 %")
    expect(live.locator(".load-summary")).to_contain_text("429s began")

    _start(page, busy, users="2", duration="2s", inputs='{"seconds": 0.05}')
    expect(page.locator("#load-run-live h2 .badge")).to_have_text("Finished: Pass", timeout=15_000)
    page.get_by_role("button", name="Compare").click()

    table = page.locator("table.load-compare")
    expect(table.locator("tr[data-figure='p95_ms'] td")).to_have_count(3)
    expect(table.locator("tr[data-figure='error_rate'] td").nth(2)).to_contain_text("better")
    assert page.problems == []
