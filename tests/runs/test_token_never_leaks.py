"""The access token never appears in a page, an admin page, a history row, a stored field
or the log output of a run, whether the run succeeds, fails or is refused."""

import json
import logging

from django.core import serializers
from django_tasks_db.models import DBTaskResult

from codeengine_ui.runs.models import Execution
from tests.conftest import DEVELOPER_TOKEN, make_token, save_demo_function

from .conftest import run_form_data

REJECTED_TOKEN = "rejected-token-5a4b3c2d1e0f9a8b7c6d5e4f"


def test_token_appears_nowhere(admin_client, admin_user, instance, developer_token, caplog):
    for logger in (None, "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=logger)
    rejected = make_token(instance, "Rejected", REJECTED_TOKEN)
    greet = save_demo_function(instance, developer_token, "greet")
    fail = save_demo_function(instance, developer_token, "failWithError")
    for function, token, inputs in [
        (greet, developer_token, {"name": "Ada"}),
        (fail, developer_token, {"reason": "boom"}),
        (greet, rejected, {"name": "Ada"}),
    ]:
        response = admin_client.post(
            f"/functions/{function.pk}/run/", run_form_data(function, token, inputs)
        )
        assert response.status_code == 302

    pages = [
        "/functions/",
        f"/functions/{greet.pk}/run/",
        "/executions/",
        "/health/",
        "/admin/catalog/accesstoken/",
        f"/admin/catalog/accesstoken/{developer_token.pk}/change/",
        f"/admin/catalog/accesstoken/{rejected.pk}/change/",
        f"/admin/catalog/function/{greet.pk}/change/",
        "/admin/runs/execution/",
        "/admin/django_tasks_database/dbtaskresult/",
    ]
    for execution in Execution.objects.all():
        pages += [f"/executions/{execution.pk}/", f"/admin/runs/execution/{execution.pk}/change/"]
    responses = {page: admin_client.get(page) for page in pages}
    expected = {**dict.fromkeys(pages, 200), "/health/": 503}  # no worker runs in this test
    assert {page: r.status_code for page, r in responses.items()} == expected
    seen = "\n".join(response.content.decode() for response in responses.values())
    stored = serializers.serialize("json", [*Execution.objects.all(), *DBTaskResult.objects.all()])

    assert Execution.objects.count() == 3
    assert "Hello, Ada." in seen and "RuntimeError: boom" in seen
    assert "wrong, expired or revoked" in seen
    for secret in (DEVELOPER_TOKEN, REJECTED_TOKEN):
        assert secret not in seen
        assert secret not in stored
        assert secret not in caplog.text
        assert secret not in json.dumps([record.__dict__ for record in caplog.records], default=str)
