"""The README's screenshots, taken from the demo data so they never go stale.

`make screenshots` starts the whole console on a fresh database with the demo (a month of
past runs included), logs in with Playwright in Debian's Chromium, and writes the PNG files
of docs/screenshots/.
"""

import json
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from codeengine_ui.demo.exports import exported_version  # noqa: E402
from codeengine_ui.demo.stack import DemoStack  # noqa: E402

SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
AUDIT_LOG = "/audit/"


def main() -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    var = ROOT / "var"
    stack = DemoStack(var / "screenshots.sqlite3", var / "screenshots-stack.log")
    with stack, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--disable-background-networking"]
        )
        take(browser, stack, "light", DESKTOP, desktop_pages)
        take(browser, stack, "dark", DESKTOP, dark_pages)
        take(browser, stack, "light", PHONE, phone_pages)
        browser.close()
    for path in sorted(SCREENSHOTS.glob("*.png")):
        print(f"wrote {path.relative_to(ROOT)}")


def take(browser, stack: DemoStack, scheme: str, viewport: dict, pages) -> None:
    context = browser.new_context(
        base_url=stack.base_url,
        viewport=viewport,
        color_scheme=scheme,
        timezone_id="Europe/Paris",
        locale="en-GB",
    )
    page = context.new_page()
    stack.log_in(page)
    page.get_by_role("heading", name="Home").wait_for()
    pages(page)
    context.close()


def shoot(page, name: str, *, full_page: bool = False, scroll: bool = True) -> None:
    # Live parts keep a question open until a run changes: wait for every other request.
    page.wait_for_load_state("load")
    page.wait_for_function("() => !document.querySelector('.htmx-request:not([data-live])')")
    if scroll:
        page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=full_page)


def desktop_pages(page) -> None:
    page.reload()  # the browser's time zone is known from the second page on
    shoot(page, "home", full_page=True)

    page.goto("/functions/")
    shoot(page, "functions")

    page.get_by_role("link", name="Summarise an order").first.click()
    page.get_by_role("textbox", name="orderId").fill("SO-2041")
    page.get_by_role("button", name="Add tags item").click()
    page.locator("#f-in-2").get_by_role("textbox").last.fill("priority")
    shoot(page, "function-form")

    page.goto("/functions/")
    page.get_by_role("link", name="Greet someone").first.click()
    page.get_by_role("textbox", name="Name", exact=True).fill("Ada")
    page.get_by_role("button", name="Run function").click()
    page.locator("#run-panel #result-json").wait_for()
    shoot(page, "run-beside-form")

    page.keyboard.press("Control+k")
    page.locator("#switcher-search").press_sequentially("ord")
    page.locator("#switcher [role=option][aria-selected=true]").wait_for()
    shoot(page, "switcher", scroll=False)
    page.keyboard.press("Escape")

    page.goto("/executions/")
    shoot(page, "history")

    page.goto("/functions/")
    page.get_by_role("link", name="Summarise an order").first.click()
    page.goto(page.url.replace("/run/", "/as-tool/"))
    page.locator("#as-tool").wait_for()
    shoot(page, "function-as-ai-tool", full_page=True)

    page.goto("/functions/import/")
    page.get_by_label("Paste an app's manifest.json").fill(json.dumps(exported_version(26)))
    page.get_by_role("button", name="Read functions").click()
    page.locator("#import-rows").wait_for()
    shoot(page, "import-package", full_page=True)

    page.goto(AUDIT_LOG)
    shoot(page, "audit-log")


def dark_pages(page) -> None:
    page.goto("/executions/?q=summariseOrder")
    page.locator("table.history a").first.click()
    shoot(page, "execution")


def phone_pages(page) -> None:
    page.reload()
    shoot(page, "home-phone")

    page.goto("/executions/")
    page.wait_for_load_state("load")
    page.evaluate("document.querySelector('table.history').scrollIntoView()")
    shoot(page, "history-phone", scroll=False)


if __name__ == "__main__":
    main()
