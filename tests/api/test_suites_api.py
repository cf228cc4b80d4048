"""Suites through the API: listed, run (on another version if asked) and followed."""

import pytest

from codeengine_ui.suites.models import Case, Suite

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def suite(greet):
    case = Case.objects.create(
        function=greet, name="greets Ada", input_variables={"name": "Ada", "excited": True},
        expectations=[{"kind": "path", "path": "$", "equals": "Hello, Ada!"}],
    )  # fmt: skip
    suite = Suite.objects.create(name="Greetings")
    suite.cases.add(case)
    return suite


def test_a_suite_runs_and_waits_for_its_verdicts(api, suite, worker_thread):
    assert [s["name"] for s in api.get("/suites").json()] == ["Greetings"]

    response = api.post("/suites/Greetings/runs?wait=20")

    assert response.status_code == 201, response.content
    run = response.json()
    assert (run["finished"], run["passed"], run["counts"]["pass"]) == (True, True, 1)
    junit = api.get(f"/suite-runs/{run['id']}/junit.xml")
    assert junit["Content-Type"].startswith("application/xml")
    assert b'tests="1" failures="0" errors="0"' in junit.content


def test_an_unknown_suite_is_a_problem(api):
    response = api.get("/suites/nothing-like-it")
    assert (response.status_code, response.json()["code"]) == (404, "suite_not_found")
