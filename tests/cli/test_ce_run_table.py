"""`ce run FUNCTION --table FILE` against the whole stack: a row per run through the
console, a summary, the results written, and an exit code that says whether rows failed."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.stack
CE = Path(sys.executable).parent / "ce"


@pytest.fixture(scope="module")
def ce_env(shared_stack, tmp_path_factory):
    home = tmp_path_factory.mktemp("ce-table-home")
    environment = {key: value for key, value in os.environ.items() if not key.startswith("CE_")}
    environment.update(XDG_CONFIG_HOME=str(home), CE_URL=shared_stack.base_url,
                       CE_KEY=shared_stack.api_key("ce table tests"))  # fmt: skip
    return environment


def ce(environment: dict, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CE), *arguments], env=environment, capture_output=True, text=True, timeout=120
    )


def test_a_table_runs_row_by_row_and_writes_each_result(ce_env, tmp_path):
    table = tmp_path / "sums.csv"
    table.write_text("first,b,expected\n1,2,3\n20,22,42\n5,5,11\n")
    output = tmp_path / "results.csv"

    done = ce(ce_env, "run", "addNumbers", "--table", str(table), "--map", "a=first",
              "--expect-column", "expected", "--output", str(output))  # fmt: skip

    assert done.returncode == 1, done.stderr
    assert "3 rows queued" in done.stderr
    assert "verdict pass" in done.stdout and "verdict fail" in done.stdout
    with output.open() as file:
        rows = list(csv.DictReader(file))
    assert [(r["a"], r["b"], r["result"], r["verdict"]) for r in rows] == [
        ("1", "2", "3", "pass"), ("20", "22", "42", "pass"), ("5", "5", "10", "fail")]  # fmt: skip


def test_rows_that_do_not_fit_are_listed_by_line_and_column(ce_env, tmp_path):
    table = tmp_path / "pairs.jsonl"
    table.write_text('{"a": 1, "b": 2}\n{"a": "one", "b": 2}\n')

    refused = ce(ce_env, "run", "addNumbers", "--table", str(table))
    valid = ce(ce_env, "run", "addNumbers", "--table", str(table), "--only-valid",
               "--output", str(tmp_path / "out.jsonl"))  # fmt: skip

    assert refused.returncode == 3
    assert "line 2, column a: Expected a whole number (e.g. 42), got text" in refused.stderr
    assert valid.returncode == 0, valid.stderr
    assert "1 skipped" in valid.stderr
    assert '"result": 3' in (tmp_path / "out.jsonl").read_text()
