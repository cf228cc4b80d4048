"""Runs through the API: checked like the form, kept in the same history."""

import pytest

from codeengine_ui.access.models import ApiKey, AuditAction, AuditEvent
from codeengine_ui.runs.models import Execution

pytestmark = pytest.mark.django_db(transaction=True)


def test_submit_and_wait_gives_the_result_and_the_run_is_in_the_history(api, greet, worker_thread):
    response = api.post("/runs?wait=10", {"function": "greet", "inputs": {"name": "Ada"}})

    assert response.status_code == 201, response.content
    run = response.json()
    assert (run["status"], run["result"], run["finished"]) == ("SUCCESS", "Hello, Ada.", True)
    stored = Execution.objects.get(pk=run["id"])
    assert (stored.source, stored.api_key_name) == ("api", "ci")
    history = api.get("/runs", {"source": "api"}).json()
    assert [row["id"] for row in history["runs"]] == [run["id"]]


def test_inputs_that_do_not_fit_are_named_per_field_and_nothing_runs(api, greet):
    response = api.post("/runs", {"function": greet.pk, "inputs": {"name": 5, "extra": 1}})

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "inputs_do_not_fit"
    paths = {error["path"] for error in problem["errors"]}
    assert paths == {"name", "extra"}
    assert not Execution.objects.exists()


def test_a_repeated_idempotency_key_gives_the_same_run(api, greet):
    body = {"function": "greet", "inputs": {"name": "Ada"}}
    first = api.post("/runs", body, {"HTTP_IDEMPOTENCY_KEY": "deploy-42"}).json()
    again = api.post("/runs", body, {"HTTP_IDEMPOTENCY_KEY": "deploy-42"}).json()

    assert first["id"] == again["id"]
    assert Execution.objects.count() == 1


def test_keys_that_are_missing_wrong_revoked_or_in_the_address_are_refused(
    client, api, member, greet
):
    assert client.get("/api/v1/functions").json()["code"] == "not_authenticated"
    wrong = client.get("/api/v1/functions", HTTP_AUTHORIZATION="Bearer ce_nope_nope")
    assert (wrong.status_code, wrong.json()["code"]) == (401, "bad_key")
    in_query = client.get(f"/api/v1/functions?key={api.key}")
    assert (in_query.status_code, in_query.json()["code"]) == (400, "key_in_query")
    assert api.get("/functions").status_code == 200
    ApiKey.objects.filter(user=member).update(revoked_at="2026-01-01T00:00:00Z")
    assert api.get("/functions").status_code == 401


def test_the_first_use_of_a_key_is_audited_once(api, greet):
    api.get("/functions")
    api.get("/functions")
    assert AuditEvent.objects.filter(action=AuditAction.API_KEY_FIRST_USED).count() == 1
