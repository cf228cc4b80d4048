"""`ce pull`, `ce push`, `ce test` and `ce schema` against the whole stack as `make run`
starts it: the demo's suites as files, checked against the schema, pushed back unchanged,
and run from the files with the verdicts the console's own runs give."""

import json
import os
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import jsonschema
import pytest
import yaml

from codeengine_ui.demo.package import DEMO_PACKAGE_ID

pytestmark = pytest.mark.stack
CE = Path(sys.executable).parent / "ce"
SCHEMA = Path(__file__).resolve().parents[2] / "cli/codeengine_cli/schema/suites-v1.schema.json"
DEMO_SUITE = "Release checklist"


def ce(home: Path, *arguments: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("CE_")}
    environment["XDG_CONFIG_HOME"] = str(home)
    return subprocess.run(
        [str(CE), *arguments], env=environment, capture_output=True, text=True, timeout=180,
        cwd=cwd,
    )  # fmt: skip


@pytest.fixture(scope="module")
def key(shared_stack):
    return shared_stack.api_key(f"suite files {uuid.uuid4().hex[:8]}")


@pytest.fixture(scope="module")
def home(shared_stack, key, tmp_path_factory):
    home = tmp_path_factory.mktemp("ce-files-home")
    done = ce(home, "login", shared_stack.base_url, "--key", key)
    assert done.returncode == 0, done.stderr
    return home


@pytest.fixture(scope="module")
def pulled(home, tmp_path_factory):
    directory = tmp_path_factory.mktemp("suites")
    done = ce(home, "pull", str(directory), "--suite", DEMO_SUITE)
    assert done.returncode == 0, done.stderr
    return directory


def test_pull_writes_a_file_per_suite_that_the_schema_validates(pulled):
    schema = json.loads(SCHEMA.read_text())
    files = sorted(pulled.glob("*.yaml"))
    assert [file.name for file in files] == ["presets.yaml", "release-checklist.yaml"]
    for file in files:
        text = file.read_text()
        assert text.startswith("# yaml-language-server: $schema=suites-v1.schema.json\n")
        jsonschema.validate(yaml.safe_load(text), schema)
    document = yaml.safe_load((pulled / "release-checklist.yaml").read_text())
    assert document["suite"]["name"] == DEMO_SUITE
    assert document["functions"]["greet"]["package"] == DEMO_PACKAGE_ID
    assert json.loads((pulled / "suites-v1.schema.json").read_text()) == schema


def test_pushing_what_was_pulled_plans_no_change(home, pulled):
    done = ce(home, "push", str(pulled), "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "No changes" in done.stdout


def test_the_files_run_as_the_consoles_own_suite_runs(home, pulled, tmp_path):
    with ThreadPoolExecutor(2) as both:  # at once: the demo suite has a slow function
        own_run = both.submit(ce, home, "suite", "run", DEMO_SUITE, "--json")
        files_run = both.submit(
            ce, home, "test", str(pulled), "--json", "--junit", str(tmp_path / "junit.xml")
        )
        own, from_files = own_run.result(), files_run.result()

    assert from_files.returncode == own.returncode, from_files.stderr
    own_verdicts = {r["case"]: r["verdict"] for r in json.loads(own.stdout)["results"]}
    [state] = json.loads(from_files.stdout)
    assert {r["case"]: r["verdict"] for r in state["results"]} == own_verdicts
    junit = (tmp_path / "junit.xml").read_text()
    assert junit.startswith("<?xml") and f'<testsuite name="{DEMO_SUITE} (' in junit


def test_a_changed_expectation_fails_the_test_and_names_the_case(home, pulled, tmp_path):
    changed = tmp_path / "changed"
    changed.mkdir()
    document = yaml.safe_load((pulled / "release-checklist.yaml").read_text())
    document["cases"] = [document["cases"][0]]
    document["cases"][0]["expectations"] = [{"kind": "stdout", "contains": "never printed"}]
    document["cases"][0].pop("snapshot", None)
    (changed / "release-checklist.yaml").write_text(yaml.safe_dump(document, sort_keys=False))

    done = ce(home, "test", str(changed))

    assert done.returncode == 1
    assert f"{document['cases'][0]['name']}: stdout does not contain" in done.stderr


def test_a_file_naming_an_unknown_function_is_refused_at_its_line(home, pulled, tmp_path):
    text = (pulled / "release-checklist.yaml").read_text()
    (tmp_path / "release-checklist.yaml").write_text(
        text.replace("version: 1.1.0", "version: 9.9.9", 1)
    )
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "version: 1.1.0" in row)

    done = ce(home, "push", str(tmp_path), "--yes")

    assert done.returncode == 3
    assert "release-checklist.yaml:" in done.stderr and "9.9.9" in done.stderr
    assert "import it first" in done.stderr
    function_line = line - 4  # the function's key, above instance, package, function, version
    assert f"release-checklist.yaml:{function_line}: functions." in done.stderr


def test_a_new_suite_is_pushed_from_git_at_its_commit(home, shared_stack, key, pulled, tmp_path):
    repository = tmp_path / "repo"
    tests = repository / "tests"
    tests.mkdir(parents=True)
    document = yaml.safe_load((pulled / "release-checklist.yaml").read_text())
    name = f"From git {uuid.uuid4().hex[:6]}"
    document["suite"] = {"name": name, "description": "Kept in git."}
    document["cases"] = [{**document["cases"][0], "name": f"{name} case"}]
    document["cases"][0].pop("snapshot", None)
    document["cases"][0]["expectations"] = [{"kind": "outcome", "status": "SUCCESS"}]
    (tests / "mine.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    git = ["git", "-c", "user.name=T", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q", str(repository)], check=True)
    origin = "https://ci:s3cret-token@git.example.com/team/fn.git"
    subprocess.run(["git", "-C", str(repository), "remote", "add", "origin", origin], check=True)
    subprocess.run([*git, "-C", str(repository), "add", "."], check=True)
    subprocess.run([*git, "-C", str(repository), "commit", "-qm", "tests"], check=True)
    head = subprocess.run(["git", "-C", str(repository), "rev-parse", "HEAD"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip

    asked = ce(home, "push", str(tests))
    assert asked.returncode == 2 and "--yes" in asked.stderr  # no terminal to ask on
    assert "+ create suite" in asked.stdout and f"“{name}”" in asked.stdout
    done = ce(home, "push", str(tests), "--yes")

    assert done.returncode == 0, done.stderr
    assert f"at {head[:7]}" in done.stdout
    pulled_again = httpx.get(
        f"{shared_stack.base_url}/api/v1/suite-files", params={"suite": name},
        headers={"Authorization": f"Bearer {key}"},
    ).json()  # fmt: skip
    assert pulled_again["suites"][0]["source"] == {
        "path": "tests/mine.yaml",
        "commit": head,
        "repository": "https://git.example.com/team/fn.git",
    }  # the origin, without the credentials its address held
    assert "No changes" in ce(home, "push", str(tests), "--dry-run").stdout


def test_a_read_only_key_pulls_but_may_not_push(shared_stack, pulled, tmp_path):
    home = tmp_path / "home"
    reader = shared_stack.api_key(f"suite files reader {uuid.uuid4().hex[:8]}", "read")
    assert ce(home, "login", shared_stack.base_url, "--key", reader).returncode == 0

    assert ce(home, "pull", str(tmp_path / "mine"), "--suite", DEMO_SUITE).returncode == 0
    refused = ce(home, "push", str(pulled), "--yes")

    assert refused.returncode == 3 and "read-only" in refused.stderr


def test_the_schema_is_printed(home):
    done = ce(home, "schema")
    assert json.loads(done.stdout) == json.loads(SCHEMA.read_text())
