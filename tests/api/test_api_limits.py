"""Per-key limits: requests per minute, runs in flight, and the body size."""

import pytest

from codeengine_ui.runs.models import Execution
from tests.conftest import save_demo_function

pytestmark = pytest.mark.django_db


def test_past_the_requests_per_minute_the_api_answers_429_with_retry_after(api, settings):
    settings.API_REQUESTS_PER_MINUTE = 3
    answers = [api.get("/functions") for _ in range(4)]

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    problem = answers[-1].json()
    assert problem["code"] == "rate_limited"
    assert 1 <= int(answers[-1]["Retry-After"]) <= 60


def test_past_the_runs_in_flight_a_key_waits(api, greet, settings):
    settings.API_RUNS_IN_FLIGHT = 2
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # no worker
    body = {"function": greet.pk, "inputs": {"name": "Ada"}}
    statuses = [api.post("/runs", body).status_code for _ in range(3)]

    assert statuses == [201, 201, 429]
    assert Execution.objects.count() == 2
    batch = api.post("/batches", {"function": greet.pk, "inputs": [{"name": "a"}]})
    assert batch.status_code == 429


def test_a_body_over_the_request_limit_is_refused_as_a_problem(api, greet, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api.post("/runs", {"function": greet.pk, "inputs": {"name": "x" * 2000}})

    assert (response.status_code, response.json()["code"]) == (413, "request_too_large")
    assert not Execution.objects.exists()


def test_a_batch_over_a_thousand_is_refused_and_nothing_runs(api, greet):
    response = api.post("/batches", {"function": greet.pk, "inputs": [{"name": "a"}] * 1001})

    assert (response.status_code, response.json()["code"]) == (422, "batch_too_large")
    assert not Execution.objects.exists()


def test_one_bad_set_refuses_the_batch_and_names_its_index(api, greet):
    sets = [{"name": "a"}, {"name": 5}, {"name": "c"}]
    problem = api.post("/batches", {"function": greet.pk, "inputs": sets}).json()

    assert problem["code"] == "inputs_do_not_fit"
    assert [error["path"] for error in problem["errors"]] == ["[1].name"]
    assert not Execution.objects.exists()


def test_the_docs_page_is_served_from_our_own_files(member_client):
    page = member_client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    schema = member_client.get("/api/v1/openapi.json").json()
    assert "/api/v1/runs" in schema["paths"]


@pytest.mark.parametrize(
    "inputs, detail",
    [
        ('{"name": NaN}', "The body is not JSON: NaN is not a JSON value."),
        ('{"name": 1e999}', "The body is not JSON: the number 1e999 is too large for a double."),
        ('{"name": ' + "[" * 100_000 + "]" * 100_000 + "}", "The body nests too deeply."),
    ],
)
def test_a_body_python_reads_but_json_does_not_allow_is_refused_as_a_problem(
    client, api, greet, inputs, detail
):
    body = f'{{"function": {greet.pk}, "inputs": {inputs}}}'
    response = client.post(
        "/api/v1/runs", body, content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api.key}",
    )  # fmt: skip

    assert (response.status_code, response.json()["code"]) == (400, "invalid_json")
    assert response.json()["detail"] == detail
    assert not Execution.objects.exists()


def test_values_no_database_keeps_are_named_at_their_input(client, api, instance, developer_token):
    """A free-form object input takes any JSON; not half a character, nor 1,001 levels."""
    describe = save_demo_function(instance, developer_token, "describeTypes")
    fitting = (
        '"text": "x", "number": 1, "decimal": 1.5, "boolean": true, "date": "2026-01-01", '
        '"dateTime": "2026-01-01T00:00:00Z", "time": "12:00:00", "duration": "PT1M", '
        '"person": "1", "group": "1", "dataset": "0e1d6b4a-1111-2222-3333-444455556666", '
        '"account": "1", "file": "1", "directory": "1"'
    )

    def submitted(anything: str):
        body = f'{{"function": {describe.pk}, "inputs": {{{fitting}, "anything": {anything}}}}}'
        return client.post(
            "/api/v1/runs", body, content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {api.key}",
        )  # fmt: skip

    half = submitted('{"note": "\\ud800"}')
    too_deep = submitted('{"a": ' + "[" * 1000 + "]" * 1000 + "}")

    assert half.status_code == too_deep.status_code == 422
    assert half.json()["errors"] == [
        {
            "path": "anything",
            "message": "this value cannot be sent as JSON: the text holds half of a character "
            "(a lone surrogate), which is not text",
        }
    ]
    assert too_deep.json()["errors"] == [
        {
            "path": "anything",
            "message": "this value cannot be sent as JSON: nested deeper than 1,000 levels",
        }
    ]
    assert not Execution.objects.exists()
