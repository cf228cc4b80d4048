import re

import pytest
from playwright.sync_api import expect

from tests.conftest import save_demo_function

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _run_greet(page, name: str, after: str = "") -> str:
    page.get_by_role("textbox", name="Name").fill(name)
    page.get_by_role("button", name="Run function").click()
    expect(page).to_have_url(re.compile(rf"\?run=(?!{after}$)\d+$"))
    run = re.search(r"\?run=(\d+)", page.url).group(1)
    expect(page.get_by_role("heading", name=f"Run #{run}")).to_be_visible()
    expect(page.locator("#execution-live .badge")).to_have_text("Success", timeout=10_000)
    return run


def test_two_runs_are_compared_side_by_side(page, worker_thread, member, instance, developer_token):
    greet = save_demo_function(instance, developer_token, "greet")
    log_in(page, "member", "member-password")
    page.goto(f"/functions/{greet.pk}/run/")
    first = _run_greet(page, "Ada")
    second = _run_greet(page, "Grace", after=first)
    page.get_by_role("link", name="Open the full page").click()

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
