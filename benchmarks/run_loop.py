"""The run loop as a person meets it, in Chromium against the whole stack as `make run`
starts it (web server, run worker and emulator, under honcho, on a fresh database).

On the function page, Run is clicked and the time until the result is on screen is taken
inside the page (click -> the result's text in the panel, at the next frame). Before each
click, the same emulator function is called directly with httpx. Prints:

  run_click_to_result_p50 / _p95   Run clicked -> result visible (ms, 50 samples)
  direct_call_p50                  a direct httpx call to the same function (ms)
  run_click_added_p50 / _p95       what the console adds: each sample minus its direct call
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

from shared import figure, percentile  # noqa: E402

from codeengine_ui.demo.stack import DemoStack  # noqa: E402

VAR = ROOT / "var"
SAMPLES = 50
WARM_UP = 3
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

# Clicks Run and resolves with the milliseconds until the panel shows `expected`.
CLICK_TO_RESULT = """
(expected) => new Promise((resolve) => {
  const shown = () => {
    const result = document.querySelector("#run-panel #result-json");
    return result && result.textContent.includes(expected);
  };
  const observer = new MutationObserver(() => {
    if (!shown()) return;
    observer.disconnect();
    requestAnimationFrame(() => resolve(performance.now() - started));
  });
  observer.observe(document.body, { childList: true, subtree: true, characterData: true });
  const started = performance.now();
  document.querySelector("form.run-form .run-button").click();
})
"""


def main() -> None:
    with DemoStack(VAR / "bench-loop.sqlite3", VAR / "bench-loop.log", history=False) as stack:
        os.environ.update(stack.environment)
        import django

        django.setup()
        from django.conf import settings

        from codeengine_ui.catalog.models import Function

        greet = Function.objects.get(function_name="greet", version="1.1.0")
        direct = httpx.Client(
            base_url=settings.CODEENGINE_EMULATOR_URL,
            headers={"X-DOMO-Developer-Token": settings.CODEENGINE_EMULATOR_TOKEN},
        )
        path = f"/api/codeengine/v2/packages/{greet.package_id}/versions/1.1.0/functions/greet"

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM)
            page = browser.new_page(base_url=stack.base_url)
            stack.log_in(page)
            page.goto(f"/functions/{greet.pk}/run/")
            name = page.get_by_role("textbox", name="Name", exact=True)

            clicks, directs, added = [], [], []
            for sample in range(WARM_UP + SAMPLES):
                body = {
                    "inputVariables": {"name": f"Direct {sample}"},
                    "settings": {"getLogs": True},
                }
                started = time.perf_counter()
                direct.post(path, json=body).raise_for_status()
                direct_ms = (time.perf_counter() - started) * 1000

                name.fill(f"Bench {sample}")
                click_ms = page.evaluate(CLICK_TO_RESULT, f"Bench {sample}")
                page.wait_for_function(
                    "() => !document.querySelector('form.run-form .run-button[aria-busy]')"
                )
                if sample >= WARM_UP:
                    clicks.append(click_ms)
                    directs.append(direct_ms)
                    added.append(click_ms - direct_ms)
            browser.close()

    figure("run_click_to_result_p50", statistics.median(clicks), "ms")
    figure("run_click_to_result_p95", percentile(clicks, 0.95), "ms")
    figure("direct_call_p50", statistics.median(directs), "ms")
    figure("run_click_added_p50", statistics.median(added), "ms")
    figure("run_click_added_p95", percentile(added, 0.95), "ms")


if __name__ == "__main__":
    main()
