"""Results, logs and inputs come from Code Engine and from users: shown as text, never run."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import save_demo_function

from .conftest import log_in, settled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_markup_in_results_logs_and_inputs_never_runs(
    page, worker_thread, member, instance, developer_token
):
    echo = save_demo_function(instance, developer_token, "echoMarkup")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, "member", "member-password")

    page.goto(f"/functions/{echo.pk}/run/")
    expect(page.get_by_role("textbox", name="label")).to_have_value(
        "<b>bold?</b><script>window.injected = 'input'</script>"
    )
    page.get_by_role("button", name="Run function").click()
    expect(page.locator("#execution-live .badge")).to_have_text("Success", timeout=10_000)
    run = re.search(r"\?run=(\d+)", page.url).group(1)

    result = page.locator("#result-json")
    expect(result).to_contain_text("<img src=x onerror=")
    expect(result).to_contain_text("</div></details><script>window.injected = 'key'</script>")
    expect(page.locator(".log-stdout")).to_contain_text(
        "<script>window.injected = 'stdout'</script>"
    )
    expect(page.locator(".log-stderr")).to_contain_text('<img src="x" onerror=')
    page.locator(".log-stdout").get_by_text("hover", exact=False).hover()
    for url in (
        "/executions/",
        f"/executions/compare/?a={run}&b={run}",
        f"/functions/{echo.pk}/run/?from={run}",
    ):
        page.goto(url)
        settled(page)
        assert page.evaluate("window.injected") is None, url

    assert page.evaluate("window.injected") is None
    assert page.locator("script:not([src])").count() == 0
    assert dialogs == [] and page.problems == []
