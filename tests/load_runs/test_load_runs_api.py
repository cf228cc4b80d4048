"""Load runs through the JSON API: start (as the key's person, who needs the permission),
follow, stop, list and compare; every refusal a problem document."""

import pytest

from codeengine_ui.access.models import ApiKey
from codeengine_ui.access.roles import allow_load_runs
from codeengine_ui.catalog.models import Instance
from codeengine_ui.load_runs.models import LoadRun, LoadRunStatus
from codeengine_ui.load_runs.tasks import drive
from codeengine_ui.runs.models import Execution

pytestmark = pytest.mark.django_db

BODY = {
    "function": "greet",
    "inputs": {"name": "Ada"},
    "users": 3,
    "total_calls": 9,
    "p95_below_ms": 5000,
    "errors_below_percent": 1,
}


def test_a_key_of_a_member_without_the_permission_is_refused(api, greet):
    answer = api.post("/load-runs", BODY)

    assert answer.status_code == 403
    assert answer.json()["code"] == "load_run_not_allowed"
    assert "load" in answer.json()["detail"] and not LoadRun.objects.exists()


def test_start_follow_and_read_the_summary(api, member, greet):
    allow_load_runs(member, True)

    started = api.post("/load-runs", BODY)
    load_run = LoadRun.objects.get()
    drive(load_run.pk, "test-worker")
    followed = api.get(f"/load-runs/{load_run.pk}").json()

    assert started.status_code == 201 and started.json()["status"] == "queued"
    assert followed["status"] == "finished" and followed["verdict"] == "pass"
    assert followed["summary"]["calls"] == 9 and followed["summary"]["p95_ms"] > 0
    assert sum(bucket["calls"] for bucket in followed["buckets"]) == 9
    calls = Execution.objects.filter(batch_id=load_run.uuid)
    assert {call.api_key_name for call in calls} == {"ci"}
    last = followed["buckets"][-1]["second"]
    assert api.get(f"/load-runs/{load_run.pk}", {"since": last}).json()["buckets"] == []


def test_bad_settings_and_inputs_are_problems(api, member, greet):
    allow_load_runs(member, True)

    too_many_users = api.post("/load-runs", {**BODY, "users": 5000})
    both = api.post("/load-runs", {**BODY, "duration_seconds": 10})
    misfit = api.post("/load-runs", {**BODY, "inputs": {"name": 7}})
    huge_p95 = api.post("/load-runs", {**BODY, "p95_below_ms": 99999999999999999999})

    assert too_many_users.status_code == 422
    assert too_many_users.json()["errors"][0]["path"] == "users"
    assert both.status_code == 422 and "either a duration" in both.json()["detail"]
    assert misfit.status_code == 422 and misfit.json()["code"] == "inputs_do_not_fit"
    assert huge_p95.status_code == 422
    assert huge_p95.json()["errors"][0]["path"] == "p95_below_ms"


def test_a_read_only_key_cannot_start_one(client, member, greet):
    allow_load_runs(member, True)
    _key, text = ApiKey.issue(member, "reader", "read")

    answer = client.post(
        "/api/v1/load-runs", BODY, content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {text}",
    )  # fmt: skip

    assert answer.status_code == 403 and answer.json()["code"] == "read_only_key"


def test_production_needs_an_admins_confirmation(client, admin_user, greet):
    Instance.objects.filter(pk=greet.instance_id).update(is_production=True)
    _key, text = ApiKey.issue(admin_user, "admin-ci", "run")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {text}"}

    def post(body):
        return client.post("/api/v1/load-runs", body, content_type="application/json", **headers)

    unconfirmed = post(BODY)
    confirmed = post({**BODY, "confirm_production": True})

    assert unconfirmed.status_code == 409
    assert unconfirmed.json()["code"] == "production_needs_confirmation"
    assert confirmed.status_code == 201 and confirmed.json()["approved_by"] == "admin"


def test_stop_list_and_compare(api, member, greet):
    allow_load_runs(member, True)
    first = api.post("/load-runs", BODY).json()
    drive(first["id"], "test-worker")
    second = api.post("/load-runs", BODY).json()

    stopped = api.post(f"/load-runs/{second['id']}/stop").json()
    listed = api.get("/load-runs", {"function": "greet"}).json()
    compared = api.get("/load-runs/compare", {"earlier": first["id"], "later": second["id"]})

    assert stopped["status"] == LoadRunStatus.STOPPED
    assert [run["id"] for run in listed] == [second["id"], first["id"]]
    figures = {row["key"]: row for row in compared.json()["figures"]}
    assert figures["p95_ms"]["earlier"] == first_p95(first["id"])
    assert api.get("/load-runs/999999").json()["code"] == "load_run_not_found"


def first_p95(load_run_id: int) -> float:
    return LoadRun.objects.get(pk=load_run_id).summary["p95_ms"]
