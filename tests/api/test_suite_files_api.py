"""Suites as files through the API: pulled as content, a push planned then applied as the
key's user, refused for a read-only key, and a file's cases run without storing them."""

import pytest

from codeengine_ui.access.models import ApiKey, AuditAction, AuditEvent
from codeengine_ui.suites.models import Case, Suite, SuiteRun

pytestmark = pytest.mark.django_db(transaction=True)


def greet_files(greet, *, note="Hello, Ada!"):
    reference = {"instance": greet.instance.name, "package": greet.package_id,
                 "function": greet.function_name, "version": greet.version}  # fmt: skip
    case = {
        "name": "greets Ada",
        "function": "greet",
        "inputs": {"name": "Ada", "excited": True},
        "expectations": [{"kind": "path", "path": "$", "equals": note}],
    }
    return {"directory": "tests", "commit": "a1b2c3d4e5f6", "files": [
        {"path": "tests/greetings.yaml", "functions": {"greet": reference},
         "suite": {"name": "Greetings", "description": "Says hello."}, "cases": [case]},
    ]}  # fmt: skip


def test_a_push_is_planned_then_applied_as_the_keys_user(api, greet, member):
    plan = api.post("/suite-files/plan", greet_files(greet)).json()
    assert plan["counts"] == {"create": 2, "update": 0, "delete": 0}
    assert not Suite.objects.exists()

    body = {**greet_files(greet), "fingerprint": plan["fingerprint"]}
    applied = api.post("/suite-files/push", body)

    assert applied.status_code == 200, applied.content
    suite = Suite.objects.get()
    assert (suite.source_path, suite.source_commit, suite.source_pushed_by) == (
        "tests/greetings.yaml", "a1b2c3d4e5f6", member)  # fmt: skip
    assert AuditEvent.objects.filter(action=AuditAction.SUITE_CREATED, actor=member).exists()
    assert api.post("/suite-files/plan", greet_files(greet)).json()["changes"] == []
    assert api.get("/suites/Greetings").json()["source"]["commit"] == "a1b2c3d4e5f6"
    pulled = api.get("/suite-files").json()
    assert pulled["suites"][0]["source"] == {
        "path": "tests/greetings.yaml",
        "commit": "a1b2c3d4e5f6",
        "repository": "",
    }
    assert pulled["suites"][0]["cases"][0]["inputs"] == {"name": "Ada", "excited": True}


def test_a_push_on_an_outdated_plan_is_refused(api, greet):
    plan = api.post("/suite-files/plan", greet_files(greet)).json()
    Case.objects.create(function=greet, name="greets Ada", input_variables={"name": "Bo"})

    refused = api.post(
        "/suite-files/push", {**greet_files(greet), "fingerprint": plan["fingerprint"]}
    )

    assert (refused.status_code, refused.json()["code"]) == (409, "plan_changed")
    assert not Suite.objects.exists()


def test_a_file_naming_an_unknown_function_is_refused_at_its_key(api, greet):
    body = greet_files(greet)
    body["files"][0]["functions"]["greet"]["package"] = "not-a-package"

    refused = api.post("/suite-files/push", body)

    assert (refused.status_code, refused.json()["code"]) == (422, "files_refused")
    [error] = refused.json()["errors"]
    assert (error["file"], error["at"]) == ("tests/greetings.yaml", "functions.greet")
    assert "package not-a-package" in error["message"]
    assert not Suite.objects.exists()


def test_a_read_only_key_may_pull_but_not_push(api, greet, member):
    _key, read_only = ApiKey.issue(member, "reader", "read")
    api.key = read_only

    assert api.get("/suite-files").status_code == 200
    refused = api.post("/suite-files/push", greet_files(greet))

    assert (refused.status_code, refused.json()["code"]) == (403, "read_only_key")
    assert not Suite.objects.exists()


def test_files_cases_run_without_being_stored(api, client, greet, member, worker_thread):
    started = api.post("/suite-files/runs", greet_files(greet, note="Hello, Ada!"))

    assert started.status_code == 201, started.content
    [record] = started.json()["suite_runs"]
    assert record["suite"] == {"id": None, "name": "Greetings (tests/greetings.yaml)"}
    followed = api.get(f"/suite-runs/{record['id']}?wait=20").json()
    assert (followed["finished"], followed["counts"]["pass"], followed["passed"]) == (True, 1, True)
    assert not Suite.objects.exists() and not Case.objects.exists()
    junit = api.get(f"/suite-runs/{record['id']}/junit.xml").content
    assert b'name="Greetings (tests/greetings.yaml)"' in junit

    failing = api.post("/suite-files/runs", greet_files(greet, note="Bonjour")).json()
    failed = api.get(f"/suite-runs/{failing['suite_runs'][0]['id']}?wait=20").json()
    assert (failed["counts"]["fail"], failed["passed"]) == (1, False)
    assert "Bonjour" in str(failed["results"][0]["unmet"])
    assert SuiteRun.objects.filter(suite=None).count() == 2
    client.force_login(member)
    page = client.get(f"/suite-runs/{record['id']}/").content.decode()
    assert "From files, not saved" in page and "Greetings (tests/greetings.yaml)" in page


def test_a_file_without_a_suite_cannot_be_run(api, greet):
    body = greet_files(greet)
    del body["files"][0]["suite"]
    body["files"][0]["cases"] = []

    refused = api.post("/suite-files/runs", body)

    assert refused.status_code == 422
    assert refused.json()["errors"][0]["at"] == "suite"
