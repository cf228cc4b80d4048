"""Suites as files, as a CI job meets them.

ce_pull_200_cases_s      `ce pull DIR` end to end: the real command-line process (start,
                         request, YAML and snapshot files written) against the stack as
                         `make run` starts it, with 200 cases (each with a snapshot) in
                         four suites (s, median of 5)
ce_pull_200_cases_cpu_s  the CPU time the `ce` process itself spent on it (user and
                         system, median of 5): what the wall time is on an idle machine,
                         less the console's answer (s)
"""

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared import figure  # noqa: E402

from codeengine_ui.demo.stack import DemoStack  # noqa: E402

VAR = ROOT / "var"
CE = ROOT / ".venv" / "bin" / "ce"
SUITES = 4
CASES_PER_SUITE = 50


def pull_seconds() -> tuple[float, float]:
    log = VAR / "bench-suite-files.log"
    with DemoStack(VAR / "bench-suite-files.sqlite3", log, history=False) as stack:
        os.environ.update(stack.environment)
        import django

        django.setup()
        from codeengine_ui.catalog.models import Function
        from codeengine_ui.suites.models import Case, Suite

        greet = Function.objects.get(function_name="greet", version="1.1.0")
        for suite_number in range(SUITES):
            suite = Suite.objects.create(name=f"Greetings {suite_number}")
            suite.cases.set(
                Case.objects.create(
                    function=greet,
                    name=f"greets person {suite_number}-{number}",
                    input_variables={
                        "name": f"Person {number}\nof suite {suite_number}",
                        "excited": number % 2 == 0,
                    },
                    expectations=[{"kind": "outcome", "status": "SUCCESS"}, {"kind": "snapshot"}],
                    snapshot={"greeting": f"Hello, Person {number}.", "items": list(range(20))},
                    ignore_paths=["items[*]"],
                )
                for number in range(CASES_PER_SUITE)
            )
        key = stack.api_key("bench suite files")
        environment = {**os.environ, "CE_URL": stack.base_url, "CE_KEY": key}
        timings, cpu = [], []
        for _ in range(5):
            directory = Path(tempfile.mkdtemp())
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            subprocess.run([str(CE), "pull", str(directory)], env=environment, check=True,
                           capture_output=True)  # fmt: skip
            timings.append(time.perf_counter() - started)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
            cases = sum(
                path.read_text().count("\n- name: ") for path in directory.glob("greetings-*.yaml")
            )
            assert cases == SUITES * CASES_PER_SUITE, cases
            shutil.rmtree(directory)
        return statistics.median(timings), statistics.median(cpu)


def main() -> None:
    wall, cpu = pull_seconds()
    figure("ce_pull_200_cases_s", wall, "s")
    figure("ce_pull_200_cases_cpu_s", cpu, "s")


if __name__ == "__main__":
    main()
