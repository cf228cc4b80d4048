"""Finding a function: Ctrl/Cmd+K from any page, and the list's search and grouping."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import save_demo_function

from .conftest import log_in, settled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def functions(instance, developer_token):
    return {
        name: save_demo_function(instance, developer_token, name)
        for name in ("greet", "averageOf", "sleepFor", "failWithError")
    }


@pytest.mark.parametrize("modifier", ["Control", "Meta"])
def test_ctrl_or_cmd_k_opens_the_switcher_and_enter_opens_the_function(
    page, member, functions, modifier
):
    log_in(page, "member", "member-password")
    page.goto("/executions/")
    settled(page)
    page.keyboard.press(f"{modifier}+k")

    search = page.get_by_role("combobox", name=re.compile("Jump to a function"))
    expect(search).to_be_focused()
    expect(page.get_by_role("dialog").get_by_role("option")).to_have_count(4)
    search.press_sequentially("sleep")
    expect(page.get_by_role("dialog").get_by_role("option")).to_have_count(1)
    expect(page.get_by_role("dialog").get_by_role("option").first).to_have_attribute(
        "aria-selected", "true"
    )
    search.press("Enter")

    expect(page).to_have_url(re.compile(rf"/functions/{functions['sleepFor'].pk}/run/$"))
    assert page.problems == []


def test_starred_functions_come_first_and_arrows_choose(page, member, functions):
    functions["sleepFor"].starred_by.add(member)
    log_in(page, "member", "member-password")
    settled(page)
    page.keyboard.press("Control+k")
    options = page.get_by_role("dialog").get_by_role("option")
    expect(options.first).to_contain_text("Sleep for a while")
    expect(options.first).to_contain_text("Starred")
    page.keyboard.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    chosen = options.nth(1).get_attribute("data-href")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(chosen) + "$"))


def test_escape_closes_the_switcher_and_nothing_matching_is_said(page, member, functions):
    log_in(page, "member", "member-password")
    settled(page)
    page.keyboard.press("Control+k")
    page.get_by_role("combobox").fill("no such function")
    expect(page.get_by_text("No saved function matches.")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()


def test_the_function_list_searches_as_you_type_and_groups(page, member, functions):
    log_in(page, "member", "member-password")
    page.goto("/functions/")
    page.get_by_role("searchbox", name="Search").fill("avera")
    cards = page.locator(".function-card")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Average")
    expect(page).to_have_url(re.compile(r"/functions/\?q=avera"))

    page.get_by_role("searchbox", name="Search").fill("")
    page.get_by_label("Group by").select_option("package")
    expect(cards).to_have_count(4)
    expect(page.locator(".function-group")).to_have_count(1)
    expect(page.locator(".function-group")).to_contain_text("Emulator")
    assert page.problems == []
