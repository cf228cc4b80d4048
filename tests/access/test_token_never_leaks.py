"""A token with a unique marker goes through every page, admin page, htmx endpoint, export,
error path and log line of the console; the marker must appear nowhere but in its
encrypted column."""

import json
import logging

import pytest
from django.core import serializers
from django_tasks_db.models import DBTaskResult

from codeengine_ui.access.models import ApiKey, AuditEvent
from codeengine_ui.catalog.models import AccessToken, Instance
from codeengine_ui.runs.models import Execution
from tests.conftest import LEAK_MARKER_TOKEN, make_token, save_demo_function
from tests.html_forms import submitted_fields

from .test_permissions import concrete_url, project_patterns, suite_objects

pytestmark = pytest.mark.django_db


def _run(client, function, token, typed: dict):
    form = submitted_fields(client.get(f"/functions/{function.pk}/run/").content.decode())
    form["token"] = str(token.pk)
    form.update(typed)
    response = client.post(f"/functions/{function.pk}/run/", form)
    assert response.status_code == 302, response.content.decode()[:500]
    return response


def test_the_marker_token_appears_nowhere(
    admin_client, admin_user, instance, settings, caplog, capsys
):
    for logger in (None, "httpx", "httpcore", "axes", "django", "codeengine_ui"):
        caplog.set_level(logging.DEBUG, logger=logger)
    seen: list[str] = []

    def read(response):
        if response.streaming:
            seen.append(b"".join(response.streaming_content).decode())
        else:
            seen.append(response.content.decode())
        seen.append(json.dumps(dict(response.headers)))
        return response

    # A token added through the console's own page, and one the instance refuses.
    read(
        admin_client.post(
            "/tokens/add/",
            {
                "instance": instance.pk,
                "label": "Leak check",
                "secret": LEAK_MARKER_TOKEN,
                "shared_with_members": "on",
            },
        )
    )
    token = AccessToken.objects.get(label="Leak check")
    refused = make_token(instance, "Refused", LEAK_MARKER_TOKEN[::-1])
    functions = {
        name: save_demo_function(instance, token, name)
        for name in ("greet", "failWithError", "wrongResultType", "summariseOrder", "sleepFor")
    }

    # Runs that succeed, fail in Code Engine, fail on type, are refused, time out.
    _run(admin_client, functions["greet"], token, {"in.0": "Ada"})
    _run(admin_client, functions["failWithError"], token, {})
    _run(admin_client, functions["wrongResultType"], token, {})
    _run(admin_client, functions["greet"], refused, {"in.0": "Ada"})
    settings.CODEENGINE_TIMEOUT_SECONDS = 0.5
    _run(admin_client, functions["sleepFor"], token, {"in.0": "2"})
    settings.CODEENGINE_TIMEOUT_SECONDS = 30
    unreachable = Instance.objects.create(
        name="gone", display_name="Gone", custom_base_url="http://127.0.0.1:9"
    )
    settings.CODEENGINE_ALLOWED_HOSTS = [*settings.CODEENGINE_ALLOWED_HOSTS, "127.0.0.1:9"]
    gone = make_token(unreachable, "Gone", LEAK_MARKER_TOKEN)
    _run(admin_client, save_demo_function(unreachable, gone, "greet"), gone, {"in.0": "Ada"})
    assert Execution.objects.count() == 6
    assert {e.error_code for e in Execution.objects.all()} >= {
        "bad_token",
        "timeout",
        "unreachable",
    }

    # Token actions, with their htmx fragments and error paths.
    read(admin_client.post(f"/tokens/{token.pk}/test/", HTTP_HX_REQUEST="true"))
    read(admin_client.post(f"/tokens/{refused.pk}/test/", HTTP_HX_REQUEST="true"))
    read(admin_client.post(f"/tokens/{gone.pk}/test/", HTTP_HX_REQUEST="true"))
    read(admin_client.post(f"/tokens/{token.pk}/rotate/", {"secret": "short"}))
    read(
        admin_client.post(
            "/tokens/add/",
            {"instance": instance.pk, "label": "Leak check", "secret": LEAK_MARKER_TOKEN},
        )
    )

    # Every URL of the project, and the htmx fragments and exports.
    execution = Execution.objects.filter(error_code="").first()
    objects = {
        "function": functions["greet"],
        "execution": execution,
        "instance": instance,
        "token": token,
        "target_user": admin_user,
        "preset": functions["greet"].presets.create(name="p", input_variables={}),
        **suite_objects(execution, admin_user),
    }
    for route, _name, _view in project_patterns():
        read(admin_client.get(concrete_url(route, objects)))
    for run in Execution.objects.all():
        for url in (
            f"/executions/{run.pk}/",
            f"/executions/live/?run={run.pk}",
            f"/executions/{run.pk}/result.json",
            f"/executions/{run.pk}/stderr.txt",
        ):
            read(admin_client.get(url, HTTP_HX_REQUEST="true"))
            read(admin_client.get(url))
    for fmt in ("csv", "jsonl"):
        read(admin_client.get(f"/executions/export.{fmt}"))
    read(
        admin_client.post(
            f"/functions/{functions['summariseOrder'].pk}/editor/",
            {"editor_action": "mode:json", "token": token.pk},
            HTTP_HX_REQUEST="true",
        )
    )
    read(admin_client.get(f"/instances/{instance.pk}/browse/?token={token.pk}"))
    read(admin_client.get(f"/instances/{unreachable.pk}/browse/?token={gone.pk}"))
    read(admin_client.get(f"/functions/{functions['greet'].pk}/refresh/"))

    # The API, with a key: every read, a run, refusals and errors; the key itself must
    # not appear anywhere either (only its fingerprint is stored).
    _key, api_key = ApiKey.issue(admin_user, "leak check", "run")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {api_key}"}
    for path in (
        "/api/v1/functions",
        f"/api/v1/functions/{functions['greet'].pk}",
        "/api/v1/runs",
        "/api/v1/runs/export.csv",
        "/api/v1/runs/export.jsonl",
        *(f"/api/v1/runs/{run.pk}" for run in Execution.objects.all()),
        "/api/v1/functions/no-such-function",
        f"/api/v1/functions?key={api_key}",
    ):
        read(admin_client.get(path, **bearer))
    for body in (
        {"function": functions["greet"].pk, "inputs": {"name": "Ada"}, "token": token.pk},
        {"function": functions["greet"].pk, "inputs": {"name": "Ada"}, "token": refused.pk},
        {"function": functions["greet"].pk, "inputs": {"name": 1}},
    ):
        read(admin_client.post("/api/v1/runs", body, content_type="application/json", **bearer))
    read(admin_client.get("/profile/"))
    read(admin_client.get("/team/api-keys/"))

    # The Django admin.
    for url in (
        "/admin/catalog/accesstoken/",
        f"/admin/catalog/accesstoken/{token.pk}/change/",
        "/admin/runs/execution/",
        f"/admin/runs/execution/{execution.pk}/change/",
        "/admin/django_tasks_database/dbtaskresult/",
        "/admin/access/auditevent/",
    ):
        read(admin_client.get(url))

    stored = serializers.serialize(
        "json",
        [
            *Execution.objects.all(),
            *DBTaskResult.objects.all(),
            *AuditEvent.objects.all(),
            *Instance.objects.all(),
            *ApiKey.objects.all(),
        ],
    )
    tokens_without_secret = serializers.serialize(
        "json",
        AccessToken.objects.all(),
        fields=[f.name for f in AccessToken._meta.fields if f.name != "encrypted_value"],
    )
    output = capsys.readouterr()
    everything = {
        "pages": "\n".join(seen),
        "stored": stored,
        "tokens": tokens_without_secret,
        "log": caplog.text,
        "log records": json.dumps([r.__dict__ for r in caplog.records], default=str),
        "stdout": output.out,
        "stderr": output.err,
    }
    for marker in (LEAK_MARKER_TOKEN, LEAK_MARKER_TOKEN[::-1], api_key):
        leaks = [where for where, text in everything.items() if marker in text]
        assert leaks == [], f"the token appeared in: {leaks}"
    assert "••••a4c3" in everything["pages"]
