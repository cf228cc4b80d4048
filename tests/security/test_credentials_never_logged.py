"""Credentials sent to the console, in every shape a client or an attacker sends them, never
reach a log line: not the web server's access log, not the console's own log, not the
worker's nor the emulator's."""

import base64
import logging
import re
import secrets
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from gunicorn.config import Config

from codeengine_ui.demo.stack import DemoStack
from codeengine_ui.gunicorn_logging import RedactingLogger

ROOT = Path(__file__).resolve().parent.parent.parent


def _secret(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(12)}"


# --- the access log, through gunicorn's own logger -----------------------------------------


def _access_line(capsys, query: str, headers: list[tuple[str, str]], log_format: str) -> str:
    config = Config()
    config.set("accesslog", "-")
    config.set("access_log_format", log_format)
    logger = RedactingLogger(config)
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"/api/v1/functions?{query}",
               "PATH_INFO": "/api/v1/functions", "QUERY_STRING": query,
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1"}  # fmt: skip
    response = SimpleNamespace(status="400 Bad Request", headers=[], sent=10)
    request = SimpleNamespace(headers=headers)
    logger.access(response, request, environ, timedelta(milliseconds=3))
    return capsys.readouterr().out


def test_the_access_log_redacts_a_key_in_the_query_string_glued_to_the_path(capsys):
    key = f"ce_0123456789ab_{_secret('')}"

    line = _access_line(capsys, f"key={key}&q=greet", [], "%(m)s %(U)s%(q)s %(s)s %(M)sms")

    assert line == "GET /api/v1/functionskey=[redacted]&q=greet 400 3ms\n"


def test_the_access_log_redacts_credential_headers_and_the_request_line(capsys):
    token, cookie, password = _secret("domo-"), _secret("sess-"), _secret("pw-")
    headers = [("AUTHORIZATION", f"Basic {base64.b64encode(f'a:{password}'.encode()).decode()}"),
               ("X-DOMO-DEVELOPER-TOKEN", token), ("COOKIE", f"sessionid={cookie}")]  # fmt: skip
    log_format = "%(r)s %({authorization}i)s %({x-domo-developer-token}i)s %({cookie}i)s"

    line = _access_line(capsys, f"password={password}", headers, log_format)

    assert line.startswith("GET /api/v1/functions?password=[redacted] HTTP/1.1 [redacted] ")
    for secret in (token, cookie, password):
        assert secret not in line


def test_gunicorns_error_log_is_redacted(capsys):
    key = f"ce_0123456789ab_{_secret('')}"
    config = Config()
    logger = RedactingLogger(config)

    logger.error("Error handling request /api/v1/functions?key=%s", key)

    assert key not in capsys.readouterr().err


# --- the API never logs an Authorization header it does not take ------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("scheme", ["Basic ", "Bearer", "Token ", "bearer\t"])
def test_an_authorization_header_the_api_does_not_take_is_refused_unlogged(
    client, settings, caplog, scheme
):
    settings.DEBUG = True  # django-ninja logs the whole header only then
    credential = base64.b64encode(f"admin:{_secret('pw-')}".encode()).decode()
    caplog.set_level(logging.DEBUG)

    response = client.get("/api/v1/functions", HTTP_AUTHORIZATION=f"{scheme}{credential}")

    assert response.status_code == 401
    assert credential not in caplog.text
    assert "Unauthorized: /api/v1/functions" in caplog.text


# --- the whole stack, as make run starts it ----------------------------------------------------


@pytest.fixture
def stack():
    var = ROOT / "var"
    stack = DemoStack(var / "test-credentials.sqlite3", var / "test-credentials-stack.log",
                      history=False)  # fmt: skip
    stack.environment.pop("TASKS_BACKEND", None)  # runs go through the real worker
    stack.environment.update(
        LOG_LEVEL="DEBUG",
        SECRET_KEY=_secret("secret-key-"),
        CODEENGINE_EMULATOR_TOKEN=_secret("emulator-token-"),
        CODEENGINE_EMULATOR_LIMITED_TOKEN=_secret("emulator-limited-"),
    )
    with stack as running:
        yield running


def _manage(stack, *arguments: str) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=stack.environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def _logged_in(stack, password: str) -> httpx.Client:
    browser = httpx.Client(base_url=stack.base_url, headers={"Referer": stack.base_url + "/"})
    browser.get("/accounts/login/")
    browser.post(
        "/accounts/login/",
        data={"username": "admin", "password": password,
              "csrfmiddlewaretoken": browser.cookies["csrftoken"]},
    )  # fmt: skip
    return browser


@pytest.mark.stack
def test_no_credential_sent_in_any_shape_reaches_any_log(stack):
    key = _manage(stack, "create_api_key", "admin", "log check")
    wrong_key = f"ce_000000000000_{_secret('')}"
    mistyped_key = _secret("ce_typo")
    wrong_password = _secret("Wrong-Password-")
    domo_token = _secret("domo-developer-")
    forged_session = _secret("forgedsession")
    oauth_code, id_token, access_token = _secret("code-"), _secret("eyJ-"), _secret("at-")
    basic_right = base64.b64encode(f"admin:{stack.admin_password}".encode()).decode()
    basic_wrong = base64.b64encode(f"admin:{wrong_password}".encode()).decode()
    api = f"{stack.base_url}/api/v1"

    def get(path: str, **headers: str) -> httpx.Response:
        return httpx.get(f"{api}{path}", headers=headers, timeout=30)

    # given every shape of API credential, good and bad
    assert get("/functions", Authorization=f"Bearer {key}").status_code == 200
    assert get("/functions", Authorization=f"bEaReR {key}").status_code == 200
    for refused in (
        get("/functions", Authorization=f"Bearer {wrong_key}"),
        get("/functions", Authorization=f"Bearer {mistyped_key}"),
        get("/functions", Authorization=f"Bearer{key}"),
        get("/functions", Authorization=f"Basic {basic_right}"),
        get("/functions", Authorization=f"Basic {basic_wrong}"),
        get(f"/functions?key={key}"),
        get(f"/functions?api_key={key}"),
        get(f"/functions?token={key}"),
        get(f"/functions?access_token={access_token}"),
        get(f"/functions/{key}"),
        get("/functions", **{"X-DOMO-Developer-Token": domo_token}),
        get(
            "/functions",
            **{"X-DOMO-Developer-Token": stack.environment["CODEENGINE_EMULATOR_TOKEN"]},
        ),
    ):
        assert refused.status_code in (400, 401, 404), refused.text
    ran = httpx.post(
        f"{api}/runs?wait=30",
        json={"function": "averageOf", "inputs": {"values": [1, 2]}},
        headers={"Authorization": f"Bearer {key}"},
        timeout=60,
    )
    assert ran.status_code in (200, 201), ran.text
    # the pages: a wrong and a right password, a session cookie, a forged one, OAuth codes
    refused_login = _logged_in(stack, wrong_password)
    assert "sessionid" not in refused_login.cookies
    browser = _logged_in(stack, stack.admin_password)
    session = browser.cookies["sessionid"]
    assert browser.get("/").status_code == 200
    assert browser.get(f"/no-such-page/?password={wrong_password}").status_code == 404
    httpx.get(f"{stack.base_url}/", cookies={"sessionid": forged_session})
    httpx.get(
        f"{stack.base_url}/accounts/oidc/corp/login/callback/"
        f"?code={oauth_code}&state=s&id_token={id_token}"
    )
    with sqlite3.connect(stack.database) as database:
        rows = database.execute("SELECT encrypted_value FROM catalog_accesstoken").fetchall()
    stored = [row[0] for row in rows]

    # then the stack's log, every process's lines, holds none of them (once stopped, every
    # process has written all it had)
    stack.__exit__()
    log = stack.log_path.read_text()
    for process in ("web.1", "worker.1", "emulator.1"):
        assert f"{process} " in log
    assert len(re.findall(r"GET /api/v1/functions", log)) >= 14  # each request was logged
    assert "Unauthorized: /api/v1/functions" in log
    sent = {
        "API key": key,
        "API key's secret": key.split("_", 2)[2],
        "wrong API key": wrong_key,
        "mistyped API key": mistyped_key,
        "Basic credential": basic_right,
        "wrong Basic credential": basic_wrong,
        "admin password": stack.admin_password,
        "wrong password": wrong_password,
        "Domo token": domo_token,
        "emulator token": stack.environment["CODEENGINE_EMULATOR_TOKEN"],
        "emulator limited token": stack.environment["CODEENGINE_EMULATOR_LIMITED_TOKEN"],
        "session cookie": session,
        "forged session cookie": forged_session,
        "OAuth code": oauth_code,
        "ID token": id_token,
        "access token": access_token,
        "secret key": stack.environment["SECRET_KEY"],
        "token encryption keys": stack.environment["TOKEN_ENCRYPTION_KEYS"],
        **{f"stored token {number}": value for number, value in enumerate(stored)},
    }
    leaked = {what: line for what, secret in sent.items() for line in log.splitlines()
              if secret in line}  # fmt: skip
    assert leaked == {}
