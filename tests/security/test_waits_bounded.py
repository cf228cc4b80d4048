"""Requests that wait for a run's end (`?wait=N`) each hold a web thread, so they are
bounded: per key, per person across their keys, and by the process's waiting places. Past
a bound the answer comes at once, with the current state and `Retry-After`; whatever
waits, pages keep answering."""

import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.test import Client
from django.utils import timezone

from codeengine_ui.access.models import ApiKey, ApiWait
from codeengine_ui.api.limits import ASK_AGAIN_SECONDS
from codeengine_ui.demo.stack import DemoStack
from codeengine_ui.runs.models import ExecutionStatus
from tests.access.test_permissions import suite_objects
from tests.conftest import stored_run
from tests.parallel import in_parallel

ROOT = Path(__file__).resolve().parent.parent.parent
WAIT = 2
AT_ONCE = 1.0  # seconds: an answer that did not wait comes within this
ASK_AGAIN = str(ASK_AGAIN_SECONDS)


@pytest.fixture
def no_worker(settings):
    """Runs stay queued: a request that waits for one waits to its end."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def queued_run(greet, developer_token, member):
    return stored_run(greet, developer_token, member, {"name": "Ada"})


def _timed_get(key: str, path: str):
    started = time.monotonic()
    answer = Client().get(f"/api/v1{path}", HTTP_AUTHORIZATION=f"Bearer {key}")
    return time.monotonic() - started, answer


def _waited(results) -> list[bool]:
    return sorted(took >= WAIT * 0.9 for took, _answer in results)


@pytest.mark.django_db(transaction=True)
def test_a_key_waits_in_its_places_and_the_rest_are_answered_at_once(settings, member, queued_run):
    settings.API_WAITS_PER_KEY = 2
    _key, text = ApiKey.issue(member, "ci", "read")

    results = in_parallel(6, lambda _index: _timed_get(text, f"/runs/{queued_run.pk}?wait={WAIT}"))

    assert _waited(results) == [False] * 4 + [True] * 2
    for took, answer in results:
        assert answer.status_code == 200
        assert answer.json()["status"] == ExecutionStatus.QUEUED
        if took < WAIT * 0.9:
            assert took < AT_ONCE
            assert answer["Retry-After"] == ASK_AGAIN
    assert not ApiWait.objects.exists(), "every place is given back"


@pytest.mark.django_db(transaction=True)
def test_a_persons_keys_share_the_persons_places(settings, member, queued_run):
    settings.API_WAITS_PER_KEY, settings.API_WAITS_PER_USER = 2, 3
    keys = [ApiKey.issue(member, name, "read")[1] for name in ("first", "second")]
    path = f"/runs/{queued_run.pk}?wait={WAIT}"

    results = in_parallel(4, lambda index: _timed_get(keys[index % 2], path))

    assert _waited(results) == [False] + [True] * 3


@pytest.mark.django_db
def test_when_the_process_has_no_waiting_place_left_the_answer_comes_at_once(
    settings, member, queued_run
):
    settings.LIVE_WAITERS_PER_PROCESS = 0
    _key, text = ApiKey.issue(member, "ci", "read")

    took, answer = _timed_get(text, f"/runs/{queued_run.pk}?wait=5")

    assert took < AT_ONCE
    assert (answer.status_code, answer["Retry-After"]) == (200, ASK_AGAIN)
    assert answer.json()["status"] == ExecutionStatus.QUEUED


def _hold_every_place(api_key: ApiKey) -> None:
    """Another request of this key is waiting, in whichever process."""
    ApiWait.objects.create(
        api_key=api_key, user=api_key.user, until=timezone.now() + timedelta(seconds=60)
    )


@pytest.mark.django_db
def test_starting_a_run_or_a_suite_obeys_the_same_places(
    settings, no_worker, member, greet, queued_run
):
    settings.API_WAITS_PER_KEY = 1
    key, text = ApiKey.issue(member, "ci", "run")
    _hold_every_place(key)
    suite = suite_objects(queued_run, member)["suite"]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {text}"}
    body = {"function": greet.pk, "inputs": {"name": "Ada"}}
    client = Client()

    for path, data in [
        ("/runs?wait=5", body),
        (f"/runs/{queued_run.pk}/again?wait=5", {}),
        (f"/suites/{suite.pk}/runs?wait=5", {}),
    ]:
        started = time.monotonic()
        answer = client.post(f"/api/v1{path}", data, content_type="application/json", **headers)
        assert time.monotonic() - started < AT_ONCE, path
        assert (answer.status_code, answer["Retry-After"]) == (201, ASK_AGAIN), path
    suite_run = client.get(f"/api/v1/suite-runs/{answer.json()['id']}?wait=5", **headers)
    assert suite_run["Retry-After"] == ASK_AGAIN


@pytest.mark.django_db
def test_a_place_left_by_a_process_that_died_comes_back_at_its_deadline(
    settings, member, queued_run
):
    settings.API_WAITS_PER_KEY = 1
    key, text = ApiKey.issue(member, "ci", "read")
    ApiWait.objects.create(api_key=key, user=member, until=timezone.now() - timedelta(seconds=1))

    took, answer = _timed_get(text, f"/runs/{queued_run.pk}?wait=1")

    assert took >= 0.9 and "Retry-After" not in answer
    assert not ApiWait.objects.exists()


@pytest.mark.django_db
def test_a_run_that_ends_is_answered_without_asking_to_come_back(
    settings, member, greet, developer_token
):
    finished = stored_run(
        greet, developer_token, member, {"name": "Ada"}, status=ExecutionStatus.SUCCESS
    )
    _key, text = ApiKey.issue(member, "ci", "read")

    took, answer = _timed_get(text, f"/runs/{finished.pk}?wait=5")

    assert took < AT_ONCE and "Retry-After" not in answer


# --- The whole stack, as `make run` starts it ---------------------------------------------

WAITERS = 200
LOADS = 10


@pytest.mark.stack
@pytest.mark.serial
def test_with_200_waiting_requests_from_one_key_the_login_page_answers_within_half_a_second():
    var = ROOT / "var"
    with DemoStack(var / "test-waiters.sqlite3", var / "test-waiters.log", history=False) as stack:
        key = stack.api_key("waiters")
        headers = {"Authorization": f"Bearer {key}"}
        api = httpx.Client(base_url=f"{stack.base_url}/api/v1", headers=headers, timeout=60)
        sleep_for = api.get("/functions", params={"search": "sleepFor"}).json()[0]
        run = api.post("/runs", json={"function": sleep_for["id"], "inputs": {"seconds": 120}})
        path = f"/runs/{run.json()['id']}"
        stop = threading.Event()

        def wait_for_the_run() -> None:
            with httpx.Client(base_url=api.base_url, headers=headers, timeout=120) as http:
                while not stop.is_set():
                    try:
                        answer = http.get(path, params={"wait": 25})
                    except httpx.HTTPError:
                        return  # the stack stopped
                    stop.wait(float(answer.headers.get("Retry-After") or 0))

        waiters = [threading.Thread(target=wait_for_the_run, daemon=True) for _ in range(WAITERS)]
        for waiter in waiters:
            waiter.start()
        try:
            time.sleep(2)
            loads = []
            for _ in range(LOADS):
                started = time.monotonic()
                httpx.get(f"{stack.base_url}/accounts/login/", timeout=30).raise_for_status()
                loads.append(time.monotonic() - started)
        finally:
            stop.set()
        assert sorted(loads)[-2] < 0.5, f"login page loads (s): {sorted(loads)}"
