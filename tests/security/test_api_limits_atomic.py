"""Limits on runs in flight hold against parallel requests: counting the runs in flight and
storing the ones admitted are one step, per key and for all of a person's keys together,
on SQLite and on PostgreSQL alike."""

import pytest
from django.test import Client

from codeengine_ui.access.models import ApiKey
from codeengine_ui.runs.models import Execution
from tests.parallel import in_parallel

pytestmark = pytest.mark.django_db(transaction=True)

BATCH = 600


@pytest.fixture
def no_worker(settings):
    """Runs stay queued, so every run admitted stays in flight."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _post(key: str, path: str, body: dict):
    return Client().post(
        f"/api/v1{path}", body, content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )  # fmt: skip


def _batch(key: str, greet):
    inputs = [{"name": f"n{index}"} for index in range(BATCH)]
    return _post(key, "/batches", {"function": greet.pk, "inputs": inputs})


def test_two_parallel_batches_of_one_key_cannot_pass_its_limit_together(
    settings, no_worker, member, greet
):
    settings.API_RUNS_IN_FLIGHT = 1000
    _key, text = ApiKey.issue(member, "ci", "run")

    answers = in_parallel(2, lambda _index: _batch(text, greet))

    assert sorted(answer.status_code for answer in answers) == [201, 429]
    refused = next(answer for answer in answers if answer.status_code == 429)
    assert refused.json()["code"] == "rate_limited"
    assert "API_RUNS_IN_FLIGHT" in refused.json()["detail"]
    assert refused["Retry-After"]
    assert Execution.objects.count() == BATCH


def test_two_keys_of_one_person_share_the_persons_runs_in_flight(
    settings, no_worker, member, greet
):
    settings.API_USER_RUNS_IN_FLIGHT = 1000
    keys = [ApiKey.issue(member, name, "run")[1] for name in ("first", "second")]

    answers = in_parallel(2, lambda index: _batch(keys[index], greet))

    assert sorted(answer.status_code for answer in answers) == [201, 429]
    refused = next(answer for answer in answers if answer.status_code == 429)
    assert "API_USER_RUNS_IN_FLIGHT" in refused.json()["detail"]
    assert Execution.objects.count() == BATCH


def test_single_runs_in_parallel_stop_exactly_at_the_limit(settings, no_worker, member, greet):
    settings.API_RUNS_IN_FLIGHT = 3
    _key, text = ApiKey.issue(member, "ci", "run")
    body = {"function": greet.pk, "inputs": {"name": "Ada"}}

    answers = in_parallel(8, lambda _index: _post(text, "/runs", body))

    assert sorted(answer.status_code for answer in answers) == [201] * 3 + [429] * 5
    assert Execution.objects.count() == 3


def test_parallel_requests_that_open_a_minute_are_all_counted(settings, member):
    """The first requests of a minute start its count: none is refused for arriving together."""
    settings.API_REQUESTS_PER_MINUTE = settings.API_USER_REQUESTS_PER_MINUTE = 100
    _key, text = ApiKey.issue(member, "ci", "read")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {text}"}

    answers = in_parallel(8, lambda _index: Client().get("/api/v1/functions", **headers))

    assert [answer.status_code for answer in answers] == [200] * 8
    assert ApiKey.objects.get(name="ci").window_requests == 8
