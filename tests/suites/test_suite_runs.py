"""Save runs as tests, group them in a suite, run it: pass, fail and error per case, the
differences of a failed snapshot, ignored paths, and JUnit XML for CI."""

import re
import time
from pathlib import Path

import pytest
import xmlschema

from codeengine_ui.runs.models import Execution, RunSource
from codeengine_ui.suites.models import Case, Suite, SuiteRun
from codeengine_ui.suites.services import case_from_run, start_suite_run
from tests.conftest import save_demo_function, stored_run

pytestmark = pytest.mark.django_db(transaction=True)
JUNIT = xmlschema.XMLSchema(Path(__file__).with_name("junit.xsd"))


def _finished(suite_run: SuiteRun, timeout: float = 20) -> list:
    """The suite run's results once the worker has judged every case."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        suite_run.refresh_from_db()
        if suite_run.is_finished:
            return list(suite_run.results.all())
        time.sleep(0.05)
    raise AssertionError("the suite run did not finish")


@pytest.fixture
def mixed_suite(instance, developer_token, member):
    """A suite whose cases pass, fail on a snapshot, fail on a path, and cannot start."""
    greet = save_demo_function(instance, developer_token, "greet")
    average = save_demo_function(instance, developer_token, "averageOf")
    ran = stored_run(greet, developer_token, member, {"name": "Ada", "excited": False},
                     status="SUCCESS", result="Hello, Ada.")  # fmt: skip
    passes, _ = case_from_run(ran, member, "greets Ada")
    snapshot = Case.objects.create(
        function=greet, name="greets Grace", input_variables={"name": "Grace", "excited": False},
        expectations=[{"kind": "snapshot"}], snapshot="Hello, Ada.",
    )  # fmt: skip
    path = Case.objects.create(
        function=average, name="averages", input_variables={"values": [1, 3]},
        expectations=[{"kind": "path", "path": "$", "between": [10, 20]}],
    )  # fmt: skip
    broken = Case.objects.create(
        function=average, name="old inputs", input_variables={"values": "not a list"},
        expectations=[{"kind": "outcome"}],
    )  # fmt: skip
    suite = Suite.objects.create(name="Release checklist")
    suite.cases.set([passes, snapshot, path, broken])
    return suite


def test_a_suite_run_gives_each_case_its_verdict_and_why(mixed_suite, member, worker_thread):
    suite_run = start_suite_run(mixed_suite, member)
    results = {result.case_name: result for result in _finished(suite_run)}

    assert {name: result.verdict for name, result in results.items()} == {
        "greets Ada": "pass",
        "greets Grace": "fail",
        "averages": "fail",
        "old inputs": "error",
    }
    [snapshot_failure] = results["greets Grace"].unmet
    assert snapshot_failure["differences"] == [
        {"path": "(value)", "kind": "changed", "left": "Hello, Ada.", "right": "Hello, Grace."}
    ]
    assert "$ should be between 10 and 20" in results["averages"].unmet[0]["message"]
    assert results["averages"].unmet[0]["found"] == "2.0"
    assert "no longer fit" in results["old inputs"].unmet[0]["message"]
    runs = Execution.objects.filter(batch_id=suite_run.uuid)
    assert runs.count() == 3 and {run.source for run in runs} == {RunSource.SUITE}
    assert Case.objects.get(name="greets Ada").last_verdict == "pass"


def test_the_junit_xml_is_valid_and_names_failures_and_errors(
    client, mixed_suite, member, worker_thread
):
    suite_run = start_suite_run(mixed_suite, member)
    _finished(suite_run)
    client.force_login(member)

    xml = client.get(f"/suite-runs/{suite_run.pk}/junit.xml").content.decode()

    JUNIT.validate(xml)
    assert re.search(r'tests="4" failures="2" errors="1"', xml)
    assert re.search(r'<testcase name="averages" classname="[^"]+" time="[0-9.]+"><failure', xml)
    assert "should be between 10 and 20" in xml


def test_a_difference_ignored_in_one_click_makes_the_case_pass(
    client, instance, developer_token, member, worker_thread
):
    echo = save_demo_function(instance, developer_token, "greet")
    case = Case.objects.create(
        function=echo, name="greets", input_variables={"name": "Ada", "excited": False},
        expectations=[{"kind": "snapshot"}], snapshot="Hello, someone else.",
    )  # fmt: skip
    suite = Suite.objects.create(name="Greetings")
    suite.cases.add(case)
    client.force_login(member)
    first = start_suite_run(suite, member)
    assert [r.verdict for r in _finished(first)] == ["fail"]

    client.post(f"/tests/{case.pk}/ignore/", {"path": "(value)", "next": "/suites/"})

    case.refresh_from_db()
    assert case.ignore_paths == ["(value)"]
    second = start_suite_run(suite, member)
    assert [r.verdict for r in _finished(second)] == ["pass"]


def test_save_as_test_keeps_inputs_outcome_and_snapshot(
    member_client, greet, developer_token, member
):
    ran = stored_run(greet, developer_token, member, {"name": "Ada"}, status="SUCCESS",
                     result={"greeting": "Hello", "at": "2026-11-26T10:00:00Z"})  # fmt: skip

    response = member_client.post(f"/executions/{ran.pk}/save-as-test/")

    case = Case.objects.get()
    assert response["Location"] == f"/tests/{case.pk}/"
    assert case.input_variables == {"name": "Ada"}
    assert case.expectations == [{"kind": "outcome", "status": "SUCCESS"}, {"kind": "snapshot"}]
    assert case.snapshot == {"greeting": "Hello", "at": "2026-11-26T10:00:00Z"}
    member_client.post(f"/executions/{ran.pk}/save-as-test/")
    assert Case.objects.count() == 2, "a second save gets a name of its own"


def test_cases_written_in_the_editor_are_checked(member_client, greet, developer_token, member):
    case = Case.objects.create(function=greet, name="c", input_variables={"name": "Ada"})
    page = member_client.post(
        f"/tests/{case.pk}/",
        {"name": "c", "inputs_json": '{"name": 5}', "expectations_json": '[{"kind": "guess"}]',
         "ignore_text": ""},
    ).content.decode()  # fmt: skip

    assert "name: expected text" in page
    assert "“kind” is one of" in page
    case.refresh_from_db()
    assert case.expectations == []


@pytest.mark.parametrize(
    "expectations, message",
    [
        ('[{"kind": "path", "path": "$", "equals": NaN}]', "NaN is not a JSON value."),
        ('[{"kind": "path", "path": "$", "equals": 1e999}]', "1e999 is too large for a JSON"),
        ("[" * 1001 + "]" * 1001, "This JSON is nested deeper than 1,000 levels."),
    ],
)
def test_expectations_json_cannot_keep_are_refused_at_their_field(
    member_client, greet, expectations, message
):
    case = Case.objects.create(function=greet, name="c", input_variables={"name": "Ada"})
    response = member_client.post(
        f"/tests/{case.pk}/",
        {"name": "c", "inputs_json": '{"name": "Ada"}', "expectations_json": expectations,
         "ignore_text": ""},
    )  # fmt: skip

    assert response.status_code == 200
    assert message in response.content.decode()
    case.refresh_from_db()
    assert case.expectations == []


def test_a_suite_of_cases_no_database_holds_is_refused_at_the_field(member_client, greet):
    case = Case.objects.create(function=greet, name="c", input_variables={"name": "Ada"})
    response = member_client.post(
        "/suites/", {"name": "Smoke", "description": "", "cases": [str(case.pk), "9" * 25]}
    )

    assert response.status_code == 200
    assert "is not a valid value." in response.content.decode()
    assert not Suite.objects.exists()


def test_the_worker_judges_each_case_once_and_pages_read_the_stored_verdict(
    client, mixed_suite, member, worker_thread
):
    suite_run = start_suite_run(mixed_suite, member)
    results = {result.case_name: result.verdict for result in _finished(suite_run)}
    assert results["greets Ada"] == "pass"
    # Expectations changed after the verdict do not change it: nothing judges it again.
    Case.objects.filter(name="greets Ada").update(
        expectations=[{"kind": "path", "path": "$", "equals": "Goodbye"}]
    )
    client.force_login(member)

    page = client.get(f"/suite-runs/{suite_run.pk}/").content.decode()
    api_like = client.get(f"/suite-runs/{suite_run.pk}/junit.xml").content.decode()

    assert "Finished: 1 pass, 2 fail, 1 error." in page
    assert 'failures="2"' in api_like and 'errors="1"' in api_like


def test_suite_runs_are_on_the_home_page(client, mixed_suite, member, worker_thread):
    suite_run = start_suite_run(mixed_suite, member)
    _finished(suite_run)
    client.force_login(member)

    home = client.get("/").content.decode()

    assert f'<a href="/suite-runs/{suite_run.pk}/">Release checklist #{suite_run.pk}</a>' in home
    assert "1/4 pass" in home


def test_a_suite_against_another_version_and_instance_side_by_side(
    client, instance, developer_token, member, worker_thread
):
    from codeengine_ui.catalog.models import Instance
    from tests.conftest import DEVELOPER_TOKEN, make_token

    greet = save_demo_function(instance, developer_token, "greet")
    case = Case.objects.create(
        function=greet, name="greets Ada", input_variables={"name": "Ada"},
        expectations=[{"kind": "path", "path": "$", "equals": "Hello, Ada."}],
    )  # fmt: skip
    suite = Suite.objects.create(name="Greetings")
    suite.cases.add(case)
    staging = Instance.objects.create(
        name="staging", display_name="Staging", custom_base_url=instance.custom_base_url
    )
    save_demo_function(staging, make_token(staging, "Staging", DEVELOPER_TOKEN), "greet")
    client.force_login(member)

    saved = start_suite_run(suite, member)
    older = start_suite_run(suite, member, version="1.0.0")
    elsewhere = start_suite_run(suite, member, instance=staging)
    for suite_run in (saved, older, elsewhere):
        _finished(suite_run)

    assert [r.verdict for r in _finished(older)] == ["fail"], "1.0.0 says Hello, Ada without a dot"
    against_version = client.get(f"/suite-runs/compare/?a={saved.pk}&b={older.pk}")
    html = against_version.content.decode()
    assert "1 case changed between A (saved versions) and B (version 1.0.0)" in html
    assert "verdict changed" in html and "&quot;Hello, Ada&quot;" in html
    against_instance = client.get(f"/suite-runs/compare/?a={saved.pk}&b={elsewhere.pk}")
    assert "Nothing changed between A (saved versions) and B (saved versions on Staging)" in (
        against_instance.content.decode()
    )
    [run_elsewhere] = Execution.objects.filter(batch_id=elsewhere.uuid)
    assert run_elsewhere.instance == staging


def test_a_test_is_written_from_scratch_in_the_json_editor(member_client, greet):
    response = member_client.post(f"/functions/{greet.pk}/tests/new/")
    case = Case.objects.get()
    assert response["Location"] == f"/tests/{case.pk}/"
    assert case.input_variables == {"name": None, "excited": False}

    member_client.post(
        f"/tests/{case.pk}/",
        {"name": "Grace, calmly", "inputs_json": '{"name": "Grace", "excited": false}',
         "expectations_json": '[{"kind": "path", "path": "$", "matches": "^Hello, Grace"}]',
         "ignore_text": ""},
    )  # fmt: skip

    case.refresh_from_db()
    assert (case.name, case.input_variables["name"]) == ("Grace, calmly", "Grace")
    assert case.expectations[0]["matches"] == "^Hello, Grace"
