"""A read-only key reads and changes nothing: every API operation that is not a read
(GET, HEAD, OPTIONS) refuses it, whatever its person's role. The walk sends every other
method to every URL the API has, so an operation added later is held to the same rule."""

import json

import pytest
from django.apps import apps

from codeengine_ui.access.models import ApiKey, ApiKeyScope, ApiUsage, ApiWait, AuditEvent
from codeengine_ui.runs.models import ExecutionStatus
from tests.access.test_permissions import concrete_url, project_patterns, suite_objects
from tests.conftest import stored_run, user_with_role

pytestmark = pytest.mark.django_db

API_ROUTES = [
    (route, name)
    for route, name, view in project_patterns()
    if getattr(view, "api_key_required", False)
]
WRITE_METHODS = ["POST", "PUT", "PATCH", "DELETE"]
# What the API keeps about a key's own use, which any request may change.
KEY_BOOKKEEPING = {ApiKey, ApiUsage, ApiWait, AuditEvent}


def _body(name: str, sample: dict) -> dict:
    """A body each operation would accept, so only the key's scope can refuse it."""
    inputs = {"name": "Ada"}
    if name == "submit_batch":
        return {"function": sample["function"].pk, "inputs": [inputs]}
    return {"function": sample["function"].pk, "inputs": inputs, "name": "written"}


def _stored() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in apps.get_models()
        if model not in KEY_BOOKKEEPING and model._meta.managed
    }


@pytest.fixture
def sample(greet, developer_token, member) -> dict:
    """What the API's URLs name: a function, a run of it, a suite of it and a suite run."""
    run = stored_run(
        greet, developer_token, member, {"name": "Ada"}, status=ExecutionStatus.SUCCESS
    )
    objects = {"function": greet, "execution": run, "token": developer_token}
    return {**objects, "target_user": member, **suite_objects(run, member)}


@pytest.fixture
def admin_keys(django_user_model):
    admin = user_with_role(django_user_model, "team-admin", "admin")
    return {scope: ApiKey.issue(admin, scope, scope)[1] for scope in ApiKeyScope.values}


def _write(client, method: str, url: str, body: dict, key: str):
    return client.generic(
        method,
        url,
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )


@pytest.mark.parametrize(("route", "name"), API_ROUTES, ids=[name for _, name in API_ROUTES])
def test_every_write_refuses_a_read_only_key_and_stores_nothing(
    client, sample, admin_keys, route, name
):
    url = concrete_url(route, sample)
    before = _stored()

    for method in WRITE_METHODS:
        response = _write(client, method, url, _body(name, sample), admin_keys["read"])
        if response.status_code == 405:
            continue  # the URL has no such operation
        assert response.status_code == 403, (method, url, response.status_code)
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "read_only_key"

    assert _stored() == before


def test_the_walk_reaches_every_operation_that_writes(client, sample, admin_keys):
    """The walk above is not empty: with a key that may write, these operations write."""
    writing = set()
    for route, name in API_ROUTES:
        url = concrete_url(route, sample)
        response = _write(client, "POST", url, _body(name, sample), admin_keys["run"])
        if response.status_code != 405:
            assert response.status_code not in (401, 403), (name, response.content)
            writing.add(name)

    assert writing >= {"create_preset", "submit_run", "run_again", "submit_batch", "run_suite"}


def test_a_read_only_key_still_reads(client, sample, admin_keys):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {admin_keys['read']}"}
    function = sample["function"].pk

    assert client.get(f"/api/v1/functions/{function}/presets", **headers).status_code == 200
    assert client.get(f"/api/v1/runs/{sample['execution'].pk}", **headers).status_code == 200
