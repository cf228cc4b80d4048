"""The run loop: Run shows the result beside the form, the inputs stay as typed, and the
run keeps its permalink and its place in the session's list."""

import re
import threading

import pytest
from playwright.sync_api import expect

from codeengine_ui.runs.models import Execution
from codeengine_ui.runs.worker import RunWorker
from tests.conftest import save_demo_function
from tests.runs.conftest import DATABASE_TASKS

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_result_appears_beside_the_inputs_which_stay_as_typed(
    page, worker_thread, member, instance, developer_token
):
    greet = save_demo_function(instance, developer_token, "greet")
    log_in(page, "member", "member-password")
    page.goto(f"/functions/{greet.pk}/run/")
    page.evaluate("window.pageLoadMarker = 'still the same page'")

    page.get_by_role("textbox", name="Name", exact=True).fill("Ada")
    page.get_by_role("button", name="Run function").click()
    panel = page.locator("#run-panel")
    expect(panel.locator("#execution-live .badge")).to_have_text("Success", timeout=10_000)
    expect(panel.locator("#result-json")).to_contain_text("Hello, Ada")
    first = Execution.objects.latest("id")
    expect(panel.get_by_role("link", name=f"#{first.pk}").first).to_have_attribute(
        "href", f"/executions/{first.pk}/"
    )
    expect(page).to_have_url(re.compile(rf"/functions/{greet.pk}/run/\?run={first.pk}$"))
    expect(page.get_by_role("textbox", name="Name", exact=True)).to_have_value("Ada")

    page.get_by_role("textbox", name="Name", exact=True).fill("Grace")
    page.get_by_role("button", name="Run function").click()
    expect(panel.locator("#result-json")).to_contain_text("Hello, Grace", timeout=10_000)
    second = Execution.objects.latest("id")
    assert second.pk != first.pk, "each Run starts a new run"
    recent = page.locator("#recent-runs")  # the page's list of runs has both, unreloaded
    expect(recent.get_by_role("link", name=f"#{second.pk}")).to_be_visible()
    expect(recent.get_by_role("link", name=f"#{first.pk}")).to_be_visible()
    assert page.evaluate("window.pageLoadMarker") == "still the same page"

    panel.get_by_text("Earlier runs in this session").click()
    panel.get_by_role("link", name=f"#{first.pk}").click()
    expect(panel.locator("#result-json")).to_contain_text("Hello, Ada")
    assert page.problems == []


def test_a_refused_value_comes_back_in_the_form_and_nothing_runs(
    page, worker_thread, member, instance, developer_token, emulator
):
    average = save_demo_function(instance, developer_token, "averageOf")
    log_in(page, "member", "member-password")
    page.goto(f"/functions/{average.pk}/run/")
    before = emulator.server.emulator.runs_received
    page.get_by_role("textbox", name="values 1", exact=True).fill("1,5")
    page.get_by_role("button", name="Run function").click()
    expect(page.get_by_text("Use a point for the decimals")).to_be_visible()
    expect(page.get_by_role("textbox", name="values 1", exact=True)).to_have_value("1,5")
    assert emulator.server.emulator.runs_received == before
    assert not Execution.objects.exists()


def test_a_queued_run_is_cancelled_and_never_starts(
    page, settings, member, instance, developer_token, emulator
):
    settings.TASKS = DATABASE_TASKS  # queued for a worker, and no worker is running
    sleep = save_demo_function(instance, developer_token, "sleepFor")
    log_in(page, "member", "member-password")
    page.goto(f"/functions/{sleep.pk}/run/")
    page.get_by_role("textbox", name="seconds").fill("1")
    page.get_by_role("button", name="Run function").click()  # no worker: it stays queued
    panel = page.locator("#run-panel")
    expect(panel.locator(".badge")).to_have_text("Queued")
    panel.get_by_role("button", name="Cancel run").click()
    expect(panel.locator(".badge").first).to_have_text("Cancelled")
    expect(panel).to_contain_text("Code Engine never ran it")
    assert Execution.objects.get().status == "cancelled"

    worker = RunWorker(concurrency=1, poll_interval=0.05)  # a worker starting later skips it
    before = emulator.server.emulator.runs_received
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        page.wait_for_timeout(500)
    finally:
        worker.stop()
        thread.join(15)
    assert emulator.server.emulator.runs_received == before
    assert Execution.objects.get().status == "cancelled"


def test_a_running_run_can_be_left_and_its_answer_is_ignored(
    page, worker_thread, member, instance, developer_token
):
    sleep = save_demo_function(instance, developer_token, "sleepFor")
    log_in(page, "member", "member-password")
    page.goto(f"/functions/{sleep.pk}/run/")
    page.get_by_role("textbox", name="seconds").fill("2")
    page.get_by_role("button", name="Run function").click()
    panel = page.locator("#run-panel")
    expect(panel.locator(".badge")).to_have_text("Running", timeout=10_000)
    panel.get_by_role("button", name="Stop waiting").click()
    expect(panel.locator(".badge").first).to_have_text("Stopped waiting")
    expect(panel).to_contain_text("Code Engine may still finish it")
    run = Execution.objects.get()
    page.wait_for_timeout(2500)  # the worker's answer comes, and is ignored
    run.refresh_from_db()
    assert run.status == "abandoned"
    assert run.result is None


def test_the_run_bar_says_where_the_values_came_from_and_resets_to_the_defaults(
    page, worker_thread, member, instance, developer_token
):
    greet = save_demo_function(instance, developer_token, "greet")
    log_in(page, "member", "member-password")
    page.goto(f"/functions/{greet.pk}/run/")
    bar = page.locator(".run-bar")
    expect(bar).to_contain_text("Filled with the defaults of the definition.")
    page.get_by_role("textbox", name="Name", exact=True).fill("Ada")
    excited = page.get_by_role("group", name="Excited?")
    excited.get_by_label("true").check()
    page.get_by_role("button", name="Run function").click()
    expect(page.locator("#run-panel .badge")).to_have_text("Success", timeout=10_000)
    run = Execution.objects.get()

    page.goto(f"/functions/{greet.pk}/run/")
    expect(bar).to_contain_text(f"Filled with your last inputs (#{run.pk}).")
    expect(excited.get_by_label("true")).to_be_checked()
    bar.get_by_role("link", name="Reset to the defaults").click()
    expect(bar).to_contain_text("Filled with the defaults of the definition.")
    expect(excited.get_by_label("false")).to_be_checked()
    expect(page.get_by_role("textbox", name="Name", exact=True)).to_have_value("")


def test_the_run_bar_stays_in_view_at_the_top_of_a_long_form(
    page, member, instance, developer_token
):
    order = save_demo_function(instance, developer_token, "summariseOrder")
    page.set_viewport_size({"width": 1280, "height": 600})
    log_in(page, "member", "member-password")
    page.goto(f"/functions/{order.pk}/run/")
    for count in range(1, 6):
        page.get_by_role("button", name="Add lines item").click()
        expect(page.get_by_role("group", name=f"lines {count}")).to_be_attached()
    page.evaluate("window.scrollTo(0, 0)")
    run_button = page.get_by_role("button", name="Run function")
    expect(run_button).to_be_in_viewport()
    expect(page.get_by_label("Access token")).to_be_in_viewport()
    expect(page.get_by_label("Get logs")).to_be_in_viewport()


def test_after_a_run_the_bar_says_which_run_sent_the_inputs(
    page, worker_thread, member, instance, developer_token
):
    greet = save_demo_function(instance, developer_token, "greet")
    log_in(page, "member", "member-password")
    page.goto(f"/functions/{greet.pk}/run/")
    page.get_by_role("textbox", name="Name", exact=True).fill("Ada")
    page.get_by_role("button", name="Run function").click()
    expect(page.locator("#run-panel .badge")).to_have_text("Success", timeout=10_000)
    run = Execution.objects.get()
    expect(page.locator(".run-bar")).to_contain_text(f"These inputs ran as #{run.pk}.")
