"""The installed `ce` command against the whole stack as `make run` starts it (web server,
worker and emulator under honcho, on a fresh database and free ports)."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.stack
CE = Path(sys.executable).parent / "ce"
ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(scope="module")
def stack(shared_stack):
    return shared_stack


@pytest.fixture(scope="module")
def key(stack):
    return stack.api_key("cli tests")


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("ce-home")


def ce(home: Path, *arguments: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("CE_")}
    environment.update(XDG_CONFIG_HOME=str(home), **(env or {}))
    return subprocess.run(
        [str(CE), *arguments], env=environment, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def logged_in(stack, key, home):
    done = ce(home, "login", stack.base_url, "--key", key)
    assert done.returncode == 0, done.stderr
    return home


def test_without_login_it_says_how_to_log_in(tmp_path):
    done = ce(tmp_path, "functions")
    assert done.returncode == 2
    assert "ce login URL" in done.stderr


def test_login_keeps_the_key_for_this_user_only(logged_in, stack):
    config = logged_in / "codeengine-console" / "config.json"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert json.loads(config.read_text())["url"] == stack.base_url


def test_a_wrong_key_is_refused_at_login(stack, tmp_path):
    done = ce(tmp_path, "login", stack.base_url, "--key", "ce_000000000000_wrong")
    assert done.returncode == 3
    assert "unknown, revoked or expired" in done.stderr
    assert not (tmp_path / "codeengine-console" / "config.json").exists()


def test_functions_are_listed_as_a_table_and_as_json(logged_in):
    table = ce(logged_in, "functions")
    assert table.returncode == 0 and "FUNCTION" in table.stdout and "greet" in table.stdout
    listed = json.loads(ce(logged_in, "functions", "--json").stdout)
    assert {"greet", "averageOf"} <= {function["function_name"] for function in listed}


def test_a_run_prints_its_result_and_exits_zero(logged_in):
    done = ce(logged_in, "run", "greet@1.1.0", "--input", "name=Ada", "--input", "excited=yes")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == "Hello, Ada!"
    assert "SUCCESS" in done.stderr


def test_a_failed_run_exits_one_and_says_why(logged_in):
    done = ce(logged_in, "run", "failWithError", "--input", "reason=on purpose")
    assert done.returncode == 1
    assert "stderr:" in done.stderr


def test_inputs_that_do_not_fit_are_refused_at_their_path(logged_in):
    done = ce(logged_in, "run", "averageOf", "--input", 'values=[1, "x"]')
    assert done.returncode == 3
    assert "values" in done.stderr and "do not fit" in done.stderr


def test_a_name_several_functions_share_runs_the_starred_one_and_says_so(logged_in):
    done = ce(logged_in, "run", "greet", "--input", "name=Ada")

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == "Hello, Ada."  # 1.1.0's wording, the starred version
    assert (
        "4 saved functions are named greet; using the starred one: greet 1.1.0 on emulator"
        in done.stderr
    )
    assert "name it by id (ce functions --search greet) or add @version" in done.stderr


def test_the_history_of_a_shared_name_is_the_starred_functions(logged_in):
    ce(logged_in, "run", "greet@1.1.0", "--input", "name=Ada")
    listed = json.loads(ce(logged_in, "functions", "--json").stdout)
    starred = next(f["id"] for f in listed if f["function_name"] == "greet" and f["starred"])

    done = ce(logged_in, "runs", "--function", "greet", "--json")

    assert done.returncode == 0, done.stderr
    runs = json.loads(done.stdout)
    assert runs and {run["function"]["id"] for run in runs} == {starred}
    assert "using the starred one" in done.stderr


def test_a_name_of_different_unstarred_functions_says_how_to_choose(stack, logged_in):
    _star_greet(stack, False)
    try:
        done = ce(logged_in, "run", "greet", "--input", "name=Ada")
    finally:
        _star_greet(stack, True)

    assert done.returncode == 3
    assert "they are different functions" in done.stderr
    assert "Name one by its id, add @version" in done.stderr
    assert done.stderr.count("  id ") == 4 and "package" in done.stderr


def _star_greet(stack, starred: bool) -> None:
    """Star or unstar the admin's greet 1.1.0 in the stack's database."""
    change = "add" if starred else "remove"
    code = (
        "from django.contrib.auth.models import User; "
        "from codeengine_ui.catalog.models import Function; "
        "Function.objects.get(function_name='greet', version='1.1.0')"
        f".starred_by.{change}(User.objects.get(username='admin'))"
    )
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT, env=stack.environment, check=True, capture_output=True,
    )  # fmt: skip


def test_a_name_holding_address_characters_or_controls_is_asked_as_typed(logged_in):
    marked = ce(logged_in, "run", "greet?version=1.0.0#x", "--input", "name=Ada")
    controlled = ce(logged_in, "run", "greet\x01", "--input", "name=Ada")

    assert marked.returncode == 3 and "greet?version=1.0.0#x" in marked.stderr
    assert controlled.returncode in (2, 3) and "Traceback" not in controlled.stderr


def test_a_batch_runs_each_line_and_sums_up(logged_in, tmp_path):
    many = tmp_path / "many.jsonl"
    many.write_text("\n".join(json.dumps({"values": [n, n + 1]}) for n in range(20)))
    done = ce(logged_in, "batch", "averageOf", "--inputs-file", str(many))
    assert done.returncode == 0, done.stderr
    assert "20 of 20 succeeded" in done.stdout


def test_runs_get_and_export_see_the_command_lines_runs(logged_in, tmp_path):
    ce(logged_in, "run", "greet@1.1.0", "--input", "name=Grace")
    listed = json.loads(ce(logged_in, "runs", "--source", "cli", "--json").stdout)
    assert listed and {run["source"] for run in listed} == {"cli"}
    assert listed[0]["api_key"] == "cli tests"
    got = ce(logged_in, "get", str(listed[0]["id"]), "--json")
    assert got.returncode == 0 and json.loads(got.stdout)["result"] == "Hello, Grace."
    exported = tmp_path / "runs.csv"
    done = ce(logged_in, "export", "--format", "csv", "--source", "cli", "-o", str(exported))
    assert done.returncode == 0, done.stderr
    header, *rows = exported.read_text().splitlines()
    assert "source" in header and "api_key" in header and len(rows) == len(listed)


def test_the_demo_suite_gates_a_release_with_junit_for_ci(logged_in, tmp_path):
    import xmlschema

    listed = ce(logged_in, "suite", "list")
    assert listed.returncode == 0 and "Release checklist" in listed.stdout
    report = tmp_path / "junit.xml"

    passing = ce(logged_in, "suite", "run", "Release checklist", "--junit", str(report))

    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "3 pass, 0 fail, 0 error" in passing.stdout
    schema = xmlschema.XMLSchema(ROOT / "tests" / "suites" / "junit.xsd")
    schema.validate(str(report))

    older = ce(logged_in, "suite", "run", "Release checklist", "--version", "1.0.0")
    assert older.returncode == 1, older.stdout + older.stderr
    assert "Greets Ada, excited" in older.stderr
