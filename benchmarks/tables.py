"""Runs over a table, as a person meets them, against the stack as `make run` starts it.

table_10k_rows_preview_ms  a CSV of 10,000 rows (one in a hundred with a cell that does
                           not fit) uploaded on the function's page: from "Read the
                           table" clicked to the preview with its row errors shown, in
                           Chromium through the real web server (ms, median of 5)
table_1000_rows_wall_s     1,000 rows of an instant demo function (addNumbers) through
                           the real worker: from the table run's start (the API) to every
                           row done (s)
"""

import os
import statistics
import sys
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared import figure  # noqa: E402

from codeengine_ui.demo.stack import DemoStack  # noqa: E402

VAR = ROOT / "var"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def _csv(rows: int) -> str:
    lines = ["a,b"]
    for number in range(rows):
        lines.append(f"{number},{'x' if number % 100 == 99 else number * 2}")
    return "\n".join(lines) + "\n"


def preview_10k(stack: DemoStack, function_id: int) -> float:
    table = VAR / "bench-table-10k.csv"
    table.write_text(_csv(10_000))
    timings = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(base_url=stack.base_url)
        stack.log_in(page)
        for _ in range(5):
            page.goto(f"/functions/{function_id}/table/")
            page.get_by_label("File", exact=True).set_input_files(str(table))
            started = time.perf_counter()
            page.get_by_role("button", name="Read the table").click()
            page.locator(".preview-summary", has_text="100 rows do not fit").wait_for()
            page.locator("table.row-errors tbody tr").first.wait_for()
            timings.append((time.perf_counter() - started) * 1000)
        browser.close()
    return statistics.median(timings)


def wall_1000(stack: DemoStack, function_id: int) -> float:
    key = stack.api_key("bench tables")
    content = "\n".join(["a,b", *(f"{n},{n}" for n in range(1000))]) + "\n"
    with httpx.Client(base_url=f"{stack.base_url}/api/v1", timeout=60,
                      headers={"Authorization": f"Bearer {key}"}) as client:  # fmt: skip
        started = time.perf_counter()
        file = {"name": "pairs.csv", "content": content}
        answer = client.post("/table-runs", json={"function": function_id, "file": file})
        answer.raise_for_status()
        table_run = answer.json()
        while not table_run["progress"]["finished"]:
            time.sleep(0.05)
            table_run = client.get(f"/table-runs/{table_run['id']}").json()
        wall = time.perf_counter() - started
    assert table_run["progress"]["succeeded"] == 1000, table_run["progress"]
    return wall


def main() -> None:
    with DemoStack(VAR / "bench-tables.sqlite3", VAR / "bench-tables.log", history=False) as stack:
        os.environ.update(stack.environment)
        import django

        django.setup()
        from codeengine_ui.catalog.models import Function

        add = Function.objects.filter(function_name="addNumbers").order_by("-version").first()
        figure("table_10k_rows_preview_ms", preview_10k(stack, add.pk), "ms")
        figure("table_1000_rows_wall_s", wall_1000(stack, add.pk), "s")


if __name__ == "__main__":
    main()
