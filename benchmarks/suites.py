"""Function tests, as a person meets them.

suite_100_cases_wall_s   a suite of 100 cases of an instant function, from Run clicked
                         on the suite's page to the last verdict on the suite-run page,
                         in Chromium against the stack as `make run` starts it (s)
suite_diff_10k_keys_ms   the verdict and the differences for a result with 10,000 keys
                         against a snapshot where 100 of them differ (ms, median of 20)
expectation_pathological_regex_ms
                         a `matches` expectation of ^Hello, (a+)+$ (which backtracks
                         exponentially in Python's re) checked against "Hello, " and
                         10,000 letters, as a worker checks it (ms, 95th percentile of 20)
"""

import os
import statistics
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared import figure, percentile  # noqa: E402

from codeengine_ui.demo.stack import DemoStack  # noqa: E402

VAR = ROOT / "var"
CASES = 100
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def suite_wall() -> float:
    with DemoStack(VAR / "bench-suites.sqlite3", VAR / "bench-suites.log", history=False) as stack:
        os.environ.update(stack.environment)
        import django

        django.setup()
        from codeengine_ui.catalog.models import Function
        from codeengine_ui.suites.models import Case, Suite

        greet = Function.objects.get(function_name="greet", version="1.1.0")
        suite = Suite.objects.create(name="A hundred greetings")
        suite.cases.set(
            Case.objects.create(
                function=greet,
                name=f"greets person {number}",
                input_variables={"name": f"Person {number}", "excited": False},
                expectations=[
                    {"kind": "outcome", "status": "SUCCESS"},
                    {"kind": "path", "path": "$", "equals": f"Hello, Person {number}."},
                ],
            )
            for number in range(CASES)
        )
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM)
            page = browser.new_page(base_url=stack.base_url)
            stack.log_in(page)
            page.goto(f"/suites/{suite.pk}/")
            started = time.perf_counter()
            page.get_by_role("button", name="Run the suite").click()
            page.locator(".suite-summary", has_text=f"Finished: {CASES} pass").wait_for(
                timeout=120_000
            )
            wall = time.perf_counter() - started
            browser.close()
        return wall


def diff_10k_keys() -> float:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "codeengine_ui.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from codeengine_ui.suites.expectations import RunFacts, unmet

    snapshot = {
        f"key{number}": {"value": number, "label": f"item {number}"} for number in range(10_000)
    }
    result = {key: dict(value) for key, value in snapshot.items()}
    for number in range(1, 10_000, 100):
        result[f"key{number}"]["value"] = -number
    run = RunFacts("SUCCESS", result, [], [], 10)
    expectations = [{"kind": "outcome"}, {"kind": "snapshot"}]
    timings = []
    for _ in range(20):
        started = time.perf_counter()
        [failure] = unmet(expectations, run, snapshot=snapshot, ignore_paths=["key5.label"])
        timings.append((time.perf_counter() - started) * 1000)
        assert len(failure.differences) == 100
    return statistics.median(timings)


def pathological_regex() -> float:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "codeengine_ui.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from codeengine_ui.suites.expectations import RunFacts, unmet

    run = RunFacts("SUCCESS", "Hello, " + "a" * 10_000 + "!", [], [], 10)
    expectations = [{"kind": "path", "path": "$", "matches": "^Hello, (a+)+$"}]
    timings = []
    for _ in range(20):
        started = time.perf_counter()
        [failure] = unmet(expectations, run)
        timings.append((time.perf_counter() - started) * 1000)
        assert failure.message.startswith("$ should match"), failure.message
    return percentile(timings, 0.95)


def main() -> None:
    figure("suite_100_cases_wall_s", suite_wall(), "s")
    figure("suite_diff_10k_keys_ms", diff_10k_keys(), "ms")
    figure("expectation_pathological_regex_ms", pathological_regex(), "ms")


if __name__ == "__main__":
    main()
