import re

import pytest
from playwright.sync_api import expect

from tests.conftest import save_demo_function

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_log_in_run_a_function_and_watch_its_result(
    page, worker_thread, member, instance, developer_token
):
    save_demo_function(instance, developer_token, "sleepFor")
    log_in(page, "member", "member-password")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Functions").click()
    page.get_by_role("link", name="Sleep for a while").first.click()
    page.get_by_role("textbox", name="seconds").fill("1")
    page.get_by_role("button", name="Run function").click()

    expect(page).to_have_url(re.compile(r"\?run=\d+$"))
    live = page.locator("#execution-live")
    expect(live.locator(".badge")).to_have_text(re.compile("Queued|Running"))
    expect(live.locator(".badge")).to_have_text("Success", timeout=10_000)
    expect(page.locator("#result-json")).to_have_text('"Slept 1 seconds"')
    expect(page.locator(".log-stdout")).to_contain_text("Sleeping 1 seconds")
    assert page.problems == []


def test_a_filtered_history_address_names_only_the_filters_used(page, member, greet):
    log_in(page, "member", "member-password")
    page.goto("/executions/")

    page.get_by_label("Status").select_option("SUCCESS")
    page.get_by_role("button", name="Filter").click()

    expect(page).to_have_url(re.compile(r"/executions/\?status=SUCCESS$"))
    expect(page.get_by_label("Status")).to_have_value("SUCCESS")
