"""Working comfort in a real browser: shortcuts, theme, a phone's width, and axe-core."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.test import override_settings
from playwright.sync_api import expect

from codeengine_ui.demo.history import add_demo_history
from codeengine_ui.runs.models import Execution
from tests.conftest import DEVELOPER_TOKEN, save_demo_function

from .conftest import log_in, settled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DARK_BACKGROUND = "rgb(14, 18, 27)"
LIGHT_BACKGROUND = "rgb(246, 247, 251)"


@pytest.fixture
def team_history(instance, developer_token, member, admin_user):
    """Saved functions and a few weeks of real runs (the emulator answers in-process)."""
    names = ("greet", "summariseOrder", "failWithError", "addNumbers", "averageOf", "sleepFor")
    functions = {name: save_demo_function(instance, developer_token, name) for name in names}
    with override_settings(CODEENGINE_EMULATOR_TOKEN=DEVELOPER_TOKEN):
        add_demo_history(functions, developer_token, [member, admin_user], runs=30)
    return functions


def _body_background(page) -> str:
    return page.evaluate("getComputedStyle(document.body).backgroundColor")


def test_ctrl_enter_runs_the_function_from_anywhere_in_its_form(page, member, greet):
    log_in(page, "member", "member-password")
    page.goto(f"/functions/{greet.pk}/run/")

    name = page.get_by_role("textbox", name="name")
    name.fill("Keyboard")
    name.press("Control+Enter")

    expect(page).to_have_url(re.compile(r"\?run=\d+$"))
    assert Execution.objects.get().input_variables["name"] == "Keyboard"
    assert page.problems == []


def test_cmd_enter_from_a_checkbox_runs_once(page, member, greet):
    log_in(page, "member", "member-password")
    page.goto(f"/functions/{greet.pk}/run/")
    page.get_by_role("textbox", name="name").fill("Mac")

    page.get_by_role("checkbox", name="Get logs").press("Meta+Enter")

    expect(page).to_have_url(re.compile(r"\?run=\d+$"))
    assert Execution.objects.count() == 1


def test_slash_focuses_the_history_search_and_question_mark_lists_the_shortcuts(
    page, member, greet
):
    log_in(page, "member", "member-password")
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    page.wait_for_load_state()

    page.keyboard.press("/")  # from the home page: to the history, search focused
    expect(page).to_have_url(re.compile(r"/executions/#search$"))
    search = page.get_by_role("searchbox", name="Search")
    expect(search).to_be_focused()

    search.fill("a/b")  # typing a slash in a field types it
    expect(search).to_have_value("a/b")
    page.locator("h1").click()
    page.keyboard.press("/")
    expect(search).to_be_focused()

    page.locator("h1").click()
    page.keyboard.press("?")
    overlay = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(overlay).to_be_visible()
    expect(overlay).to_contain_text("Run the function, from anywhere in its form")
    expect(overlay.get_by_role("button", name="Close")).to_be_focused()
    page.keyboard.press("Escape")
    expect(overlay).to_be_hidden()

    page.get_by_role("button", name="Keyboard shortcuts").click()
    expect(overlay).to_be_visible()
    overlay.get_by_role("button", name="Close").click()
    expect(overlay).to_be_hidden()
    assert page.problems == []


def test_the_theme_follows_the_system_until_the_user_picks_one(browser, live_server, member, greet):
    dark_system = browser.new_context(base_url=live_server.url, color_scheme="dark")
    page = dark_system.new_page()
    log_in(page, "member", "member-password")
    assert _body_background(page) == DARK_BACKGROUND

    page.get_by_role("button", name=re.compile("^Theme: system")).click()
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    assert _body_background(page) == LIGHT_BACKGROUND
    page.reload()
    assert _body_background(page) == LIGHT_BACKGROUND
    page.get_by_role("button", name=re.compile("^Theme: light")).press("Enter")  # keyboard too
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    dark_system.close()

    light_system = browser.new_context(base_url=live_server.url, color_scheme="light")
    elsewhere = light_system.new_page()
    log_in(elsewhere, "member", "member-password")  # another browser: the choice follows
    expect(elsewhere.locator("html")).to_have_attribute("data-theme", "dark")
    assert _body_background(elsewhere) == DARK_BACKGROUND
    light_system.close()


def test_every_page_fits_a_phone(browser, live_server, member, team_history):
    phone = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    page = phone.new_page()
    log_in(page, "member", "member-password")
    greet = team_history["greet"]
    run = Execution.objects.filter(function=greet).latest("id")

    for path in (
        "/",
        "/functions/",
        f"/functions/{greet.pk}/run/",
        f"/executions/{run.pk}/",
        "/executions/",
    ):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width}px wide"
        expect(
            page.get_by_role("navigation", name="Main").get_by_role("link", name="History")
        ).to_be_visible()
    page.goto(f"/functions/{greet.pk}/run/")
    run_button = page.get_by_role("button", name="Run function")
    run_button.scroll_into_view_if_needed()
    expect(run_button).to_be_in_viewport()
    phone.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_problems(browser, live_server, member, team_history, scheme):
    context = browser.new_context(base_url=live_server.url, color_scheme=scheme)
    page = context.new_page()
    log_in(page, "member", "member-password")
    greet = team_history["greet"]
    failed = Execution.objects.filter(status="FAILED").latest("id")
    axe = Axe()
    problems = {}

    for path in (
        "/",
        "/functions/",
        f"/functions/{greet.pk}/run/",
        f"/executions/{failed.pk}/",
        "/executions/",
        "/executions/?outcome=failure",
    ):
        page.goto(path)
        settled(page)
        violations = axe.run(page).response["violations"]
        serious = [v for v in violations if v["impact"] in ("serious", "critical")]
        if serious:
            problems[path] = [
                (v["id"], v["help"], [node["target"] for node in v["nodes"]][:5]) for v in serious
            ]
    context.close()

    assert problems == {}


def test_the_chart_period_switches_in_place(page, member, team_history):
    log_in(page, "member", "member-password")
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    page.evaluate("window.samePage = true")

    page.get_by_role("navigation", name="Period of the chart").get_by_role(
        "link", name="30d"
    ).click()

    expect(page).to_have_url(re.compile(r"/\?range=30d$"))
    expect(page.locator("#runs-chart-svg-title")).to_have_text(re.compile("last 30 days$"))
    assert page.evaluate("window.samePage") is True
    page.locator("#runs-chart summary").click()
    first_day = page.locator("#runs-chart tbody tr").first
    expect(first_day.locator("th")).to_be_visible()
    assert page.locator("#runs-chart tbody tr").count() == 30
    assert page.problems == []


def test_the_theme_toggle_shows_the_opposite_at_once_on_a_light_system(
    browser, live_server, member
):
    light_system = browser.new_context(base_url=live_server.url, color_scheme="light")
    page = light_system.new_page()
    log_in(page, "member", "member-password")
    assert _body_background(page) == LIGHT_BACKGROUND

    page.get_by_role("button", name=re.compile("^Theme: system")).click()

    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert _body_background(page) == DARK_BACKGROUND
    page.get_by_role("button", name=re.compile(r"^Theme: dark \(switch to light\)")).click()
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    light_system.close()
