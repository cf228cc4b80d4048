"""The web security baseline: deployment checks, CSP, no inline code, CSRF everywhere."""

import re
import secrets
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.conf import settings as django_settings
from django.test import Client

from codeengine_ui.runs.models import ExecutionStatus
from tests.conftest import stored_run


def test_check_deploy_passes_with_production_settings():
    environment = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "codeengine_ui.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "console.example.com",
        "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    }

    completed = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        env=environment,
        capture_output=True,
        text=True,
        cwd=django_settings.BASE_DIR,
        timeout=60,
    )

    assert completed.returncode == 0, completed.stderr
    assert "System check identified no issues (0 silenced)." in completed.stdout


def test_the_app_refuses_to_start_without_an_encryption_key():
    environment = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "codeengine_ui.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
    }

    completed = subprocess.run(
        [sys.executable, "manage.py", "check"],
        env=environment,
        capture_output=True,
        text=True,
        cwd=django_settings.BASE_DIR,
        timeout=60,
    )

    assert completed.returncode != 0
    assert "TOKEN_ENCRYPTION_KEYS must be set when DEBUG is off" in completed.stderr


@pytest.fixture
def finished_run(greet, developer_token, member):
    return stored_run(
        greet,
        developer_token,
        member,
        {"name": "Ada"},
        status=ExecutionStatus.SUCCESS,
        result={"a": [1, {"b": None}]},
    )


def _pages(greet, finished_run, developer_token) -> list[str]:
    return [
        "/functions/",
        f"/functions/{greet.pk}/run/",
        "/executions/",
        f"/executions/{finished_run.pk}/",
        f"/executions/compare/?a={finished_run.pk}",
        "/functions/import/",
        "/tokens/",
        f"/tokens/{developer_token.pk}/",
        "/team/",
        "/audit/",
        "/ai-clients/",
        "/accounts/login/",
    ]


def test_every_page_sends_a_strict_content_security_policy(
    admin_client, greet, finished_run, developer_token
):
    for url in _pages(greet, finished_run, developer_token):
        policy = admin_client.get(url)["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
        assert directives["default-src"] == "'self'"
        assert directives["script-src"] == "'self'", url
        assert directives["style-src"] == "'self'", url
        assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_pages_have_no_inline_script_or_style(admin_client, greet, finished_run, developer_token):
    for url in _pages(greet, finished_run, developer_token):
        html = admin_client.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert not re.search(r"<style\b", html), url
        assert not re.search(r"\sstyle=", html), url
        assert not re.search(r"\son[a-z]+=", html), url


def test_htmx_is_configured_for_the_policy(admin_client):
    html = admin_client.get("/functions/").content.decode()

    config = re.search(r'<meta name="htmx-config" content=\'([^\']+)\'>', html).group(1)
    assert '"allowEval": false' in config and '"includeIndicatorStyles": false' in config
    assert '"historyCacheSize": 0' in config
    assert re.search(r'<script src="/static/django_htmx/htmx-2.min.js"', html)
    assert '<body hx-headers=\'{"X-CSRFToken": "' in html


def test_state_changing_requests_need_the_csrf_token(greet, member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)

    plain = client.post(f"/functions/{greet.pk}/star/")
    htmx = client.post(f"/functions/{greet.pk}/star/", HTTP_HX_REQUEST="true")
    page = client.get("/functions/")
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page.content.decode()).group(1)
    with_header = client.post(
        f"/functions/{greet.pk}/star/", HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=token
    )

    assert (plain.status_code, htmx.status_code, with_header.status_code) == (403, 403, 200)
