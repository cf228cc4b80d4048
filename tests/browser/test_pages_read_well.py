"""The main pages with the demo data, as people see them at 1,280 px and on a 390 px
phone, in the light and the dark theme: short values on one line, long names cut with an
ellipsis but whole on hover, the history as cards on a phone, the profile a tap away."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from codeengine_ui.demo.stack import DemoStack

pytestmark = [pytest.mark.browser, pytest.mark.stack]

ROOT = Path(__file__).resolve().parent.parent.parent
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}

# For each element holding one short token: the text of those laid out on more than one
# line (a line's boxes overlap vertically; a box entirely below another is a new line).
WRAPPED_TOKENS = """
() => {
  const wrapped = [];
  let checked = 0;
  document.querySelectorAll(".cell-token").forEach((element) => {
    if (!element.getClientRects().length) return;
    const range = document.createRange();
    range.selectNodeContents(element);
    const boxes = Array.from(range.getClientRects()).filter((box) => box.width && box.height);
    if (!boxes.length) return;
    checked += 1;
    const lowestTop = Math.max(...boxes.map((box) => box.top));
    const highestBottom = Math.min(...boxes.map((box) => box.bottom));
    if (lowestTop >= highestBottom - 1) wrapped.push(element.textContent.trim().slice(0, 60));
  });
  return {checked, wrapped};
}
"""


@pytest.fixture(scope="module")
def stack():
    var = ROOT / "var"
    with DemoStack(var / "test-pages.sqlite3", var / "test-pages.log") as running:
        running.api_key("Nightly report")
        yield running


def _page(browser, stack, viewport, scheme):
    context = browser.new_context(base_url=stack.base_url, viewport=viewport, color_scheme=scheme)
    page = context.new_page()
    stack.log_in(page)
    return page


def _settled(page) -> None:
    page.wait_for_load_state("load")
    page.wait_for_function("() => !document.querySelector('.htmx-request:not([data-live])')")


def _main_pages(page) -> list[str]:
    """The pages with tables and lists of runs, with the ids the demo data has."""
    page.goto("/executions/")
    runs = page.locator("table.runs tbody tr td:first-child a")
    newest, older = (runs.nth(n).inner_text().lstrip("#") for n in (0, 1))
    page.goto("/suites/")
    suite = page.locator(".run-list a").first.get_attribute("href")
    page.goto(suite)
    suite_run = page.locator("a[href^='/suite-runs/']").first.get_attribute("href")
    return [
        "/",
        "/executions/",
        "/functions/",
        f"/executions/compare/?a={older}&b={newest}",
        "/suites/",
        suite,
        suite_run,
        "/tokens/",
        "/instances/",
        "/team/",
        "/team/api-keys/",
        "/profile/",
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "390px"])
def test_no_short_value_wraps_in_any_table(browser, stack, viewport, scheme):
    page = _page(browser, stack, viewport, scheme)
    wrapped, checked = {}, 0
    for path in _main_pages(page):
        page.goto(path)
        _settled(page)
        found = page.evaluate(WRAPPED_TOKENS)
        checked += found["checked"]
        if found["wrapped"]:
            wrapped[path] = found["wrapped"]
    page.context.close()

    assert wrapped == {}
    assert checked > 300  # the history alone holds 50 rows of them


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_history_fits_a_phone_as_labelled_cards(browser, stack, scheme):
    page = _page(browser, stack, PHONE, scheme)
    page.goto("/executions/")
    _settled(page)

    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    first = page.locator("table.runs tbody tr").first
    labels = first.locator("td").evaluate_all(
        "cells => cells.map(cell => getComputedStyle(cell, '::before').content)"
    )
    names_cut = page.locator("table.runs .truncate").evaluate_all(
        "names => names.filter(name => name.scrollWidth > name.clientWidth).length"
    )
    page.context.close()

    assert widths[0] <= widths[1]
    assert labels == [
        f'"{label}"'
        for label in ("Run", "Status", "Function", "Instance", "Version", "Who", "When", "Duration")
    ]
    assert names_cut == 0


def test_the_profile_is_a_tap_away_on_a_phone(browser, stack):
    page = _page(browser, stack, PHONE, "light")
    profile = page.get_by_role("banner").get_by_role("link", name="admin", exact=True)

    expect(profile).to_be_visible()
    expect(profile).to_be_in_viewport()
    profile.click()
    expect(page.get_by_role("heading", name="API keys")).to_be_visible()
    page.context.close()


def test_function_names_are_whole_when_there_is_room_and_on_hover_when_not(browser, stack):
    page = _page(browser, stack, DESKTOP, "light")
    page.goto("/")
    _settled(page)
    home = page.locator(".run-rows .run-name").evaluate_all(
        """links => links.map(link => {
          const name = link.querySelector('.truncate');
          return [name.scrollWidth > name.clientWidth, link.title.startsWith(name.textContent)];
        })"""
    )
    page.goto("/executions/")
    _settled(page)
    history = page.locator("table.runs .truncate").evaluate_all(
        "names => names.map(name => name.title === name.textContent.trim())"
    )
    page.context.close()

    assert len(home) >= 10 and home == [[False, True]] * len(home)
    assert len(history) >= 50 and all(history)


def test_a_long_list_on_the_home_page_does_not_stretch_its_row(browser, stack):
    page = _page(browser, stack, DESKTOP, "light")
    page.goto("/")
    _settled(page)
    tiles = page.locator(".stat-grid > .stat")
    heights = tiles.evaluate_all("tiles => tiles.map(tile => tile.getBoundingClientRect().height)")
    older = tiles.filter(has_text="Older pinned versions")
    listed = older.get_by_role("listitem")
    count = int(older.locator(".stat-value").inner_text())

    expect(listed.first).to_be_hidden()
    older.get_by_text(re.compile(r"^Show (all \d+|which)$")).click()
    expect(listed).to_have_count(count)
    expect(listed.first).to_be_visible()
    page.context.close()

    assert count > 5
    assert max(heights) < 1.6 * min(heights)


def test_a_run_of_the_newest_release_is_not_called_older(browser, stack):
    page = _page(browser, stack, DESKTOP, "light")
    page.goto("/executions/?source=suite")
    _settled(page)
    versions = page.locator("table.runs td[data-label=Version]").all_inner_texts()
    page.context.close()

    assert versions and set(versions) == {"1.2.0"}
