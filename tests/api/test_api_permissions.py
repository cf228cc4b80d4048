"""Every API operation, as every role: a key acts with its user's role, never more."""

import re

import pytest

from codeengine_ui.access.models import ApiKey
from codeengine_ui.access.roles import Role
from codeengine_ui.api.api import api as console_api
from codeengine_ui.runs.models import Execution, ExecutionStatus
from tests.access.test_permissions import suite_objects
from tests.conftest import stored_run, user_with_role
from tests.load_runs.conftest import sample_load_run

pytestmark = pytest.mark.django_db

OPEN = {"/api/v1/health"}
OPERATIONS = [
    (method.upper(), path)
    for path, methods in console_api.get_openapi_schema()["paths"].items()
    for method in methods
    if path not in OPEN
]


@pytest.fixture
def keys(django_user_model, member, viewer):
    users = {
        Role.NONE: user_with_role(django_user_model, "newcomer", ""),
        Role.VIEWER: viewer,
        Role.MEMBER: member,
        Role.ADMIN: user_with_role(django_user_model, "team-admin", "admin"),
    }
    return {role: ApiKey.issue(user, "k", "run")[1] for role, user in users.items()}


def _url(path: str, greet, run, suites: dict) -> str:
    values = {"function": greet.pk, "run_id": run.pk, "file_format": "csv",
              "batch_id": "00000000-0000-0000-0000-000000000000",
              "suite": suites["suite"].pk, "suite_run_id": suites["suite_run"].pk,
              "table_run_id": 1,
              "load_run_id": sample_load_run(greet, run.token, run.requested_by).pk}  # fmt: skip
    return re.sub(r"\{(\w+)\}", lambda match: str(values[match.group(1)]), path)


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_each_operation_answers_each_role_as_the_pages_do(
    client, keys, greet, developer_token, member, method, path
):
    run = stored_run(
        greet, developer_token, member, {"name": "Ada"}, status=ExecutionStatus.SUCCESS
    )
    url = _url(path, greet, run, suite_objects(run, member))
    call = client.get if method == "GET" else client.post
    required = Role.VIEWER if method == "GET" else Role.MEMBER

    assert call(url, content_type="application/json").status_code == 401
    for role, key in keys.items():
        response = call(
            url, {}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
        )
        if role >= required:
            assert response.status_code not in (401, 403), (role, response.content)
        else:
            assert response.status_code == 403, (role, response.status_code)
            assert response.json()["code"] == "forbidden"


def test_a_read_only_key_never_starts_a_run(client, member, greet):
    _key, text = ApiKey.issue(member, "reader", "read")
    response = client.post(
        "/api/v1/runs",
        {"function": greet.pk, "inputs": {"name": "Ada"}},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {text}",
    )
    assert (response.status_code, response.json()["code"]) == (403, "read_only_key")
    assert not Execution.objects.exists()


def test_an_expired_key_is_refused(client, member):
    _key, text = ApiKey.issue(member, "old", "run", expires_on="2020-01-01")
    response = client.get("/api/v1/functions", HTTP_AUTHORIZATION=f"Bearer {text}")
    assert (response.status_code, response.json()["code"]) == (401, "bad_key")
