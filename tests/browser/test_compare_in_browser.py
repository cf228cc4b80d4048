import re

import pytest
from playwright.sync_api import expect

from tests.conftest import save_demo_function

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _run_greet(page, name: str) -> str:
    page.get_by_role("textbox", name="Name").fill(name)
    page.get_by_role("button", name="Run function").click()
    expect(page).to_have_url(re.compile(r"/executions/\d+/$"))
    expect(page.locator("#execution-live .badge")).to_have_text("Success", timeout=10_000)
    return re.search(r"/executions/(\d+)/", page.url).group(1)


def test_two_runs_are_compared_side_by_side(page, worker_thread, member, instance, developer_token):
    greet = save_demo_function(instance, developer_token, "greet")
    log_in(page, "member", "member-password")
    page.goto(f"/functions/{greet.pk}/run/")
    first = _run_greet(page, "Ada")
    page.get_by_role("link", name="Edit and run").click()
    expect(page.get_by_role("textbox", name="Name")).to_have_value("Ada")
    second = _run_greet(page, "Grace")

    page.get_by_role("link", name="Compare with…").click()
    page.get_by_role("link", name=f"#{first}").click()

    expect(page.get_by_role("heading", name="Compare runs")).to_be_visible()
    inputs = page.locator("section", has=page.get_by_role("heading", name="Inputs"))
    expect(inputs.locator("tr.diff-changed")).to_contain_text('"Grace"')
    expect(inputs.locator("tr.diff-changed")).to_contain_text('"Ada"')
    result = page.locator("section", has=page.get_by_role("heading", name="Result", exact=True))
    expect(result.locator("tr.diff-changed")).to_contain_text('"Hello, Ada."')
    assert page.url.endswith(f"?a={second}&b={first}")
    assert page.problems == []
