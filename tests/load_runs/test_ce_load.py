"""`ce load` against the whole console as `make run` starts it: live progress on stderr, a
summary on stdout, and an exit code that fails when a threshold does."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.stack
CE = Path(sys.executable).parent / "ce"


@pytest.fixture(scope="module")
def home(shared_stack, tmp_path_factory):
    home = tmp_path_factory.mktemp("ce-load-home")
    key = shared_stack.api_key("ce load tests")
    done = ce(home, "login", shared_stack.base_url, "--key", key)
    assert done.returncode == 0, done.stderr
    return home


def ce(home: Path, *arguments: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("CE_")}
    environment["XDG_CONFIG_HOME"] = str(home)
    return subprocess.run(
        [str(CE), *arguments], env=environment, capture_output=True, text=True, timeout=120
    )


def test_a_load_run_that_meets_its_thresholds_exits_zero(home):
    done = ce(
        home, "load", "greet@1.1.0", "--users", "5", "--count", "40", "--ramp-up", "1s",
        "--p95-below", "5s", "--errors-below", "1%", "--input", "name=Ada",
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert "5 virtual users for 40 calls, ramping up over 1 s" in done.stderr
    assert "users" in done.stderr and "p95" in done.stderr  # a line per second
    assert "calls 40: 40 ok, 0 failed, 0 429, 0 errors" in done.stdout
    assert "PASS p95 latency below 5,000 ms" in done.stdout
    assert "verdict: PASS" in done.stdout


def test_429s_fail_the_error_threshold_and_the_exit_code(home):
    done = ce(
        home, "load", "busyService", "--users", "10", "--duration", "3s", "--ramp-up", "1s",
        "--errors-below", "1%", "--input", "seconds=0.2",
    )  # fmt: skip

    assert done.returncode == 1, done.stderr
    assert "429s began at" in done.stderr
    assert "FAIL error rate below 1 %" in done.stdout and "verdict: FAIL" in done.stdout


def test_bad_options_are_refused_before_anything_runs(home):
    both = ce(home, "load", "greet@1.1.0", "--users", "2", "--count", "3", "--duration", "2s")
    bad_time = ce(home, "load", "greet@1.1.0", "--users", "2", "--duration", "soon")
    too_many = ce(home, "load", "greet@1.1.0", "--users", "5000", "--count", "3")

    assert both.returncode == 2 and "either --duration or --count" in both.stderr
    assert bad_time.returncode == 2 and "is not a time" in bad_time.stderr
    assert too_many.returncode == 3 and "Choose from 1 to 200 virtual users" in too_many.stderr
