import base64
import logging
import os
import subprocess
import sys

import pytest

from codeengine_ui.domo.client import CodeEngineClient
from codeengine_ui.domo.redaction import RedactingFormatter, redact, redact_query_string

SECRET = "secret-token-1234567890abcdef"
API_KEY = "ce_06586aae9d22_uXRlK66x7Sb007BC44s8tfHcmfZb26WwzBUYXZ73-OI"
PASSWORD = "Correct-Horse-7"
BASIC = base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
FERNET_KEY = "ZmVybmV0LWtleS0zMi1ieXRlcy1sb25nLWVub3VnaCE="
FERNET_TOKEN = "gAAAAABnZ1c2Vf3x0Q8kXl7c9Yw2pQ-TnKJ0bLmAq5hZrVd4sWu1eIoPy6xCg=="


def _format(record: logging.LogRecord) -> str:
    return RedactingFormatter().format(record)


def test_a_token_the_process_has_used_is_redacted():
    CodeEngineClient("https://acme.domo.com", SECRET)
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "sent %s", (SECRET,), None)

    assert _format(record) == "sent [redacted]"


def test_token_headers_are_redacted_even_for_unknown_tokens():
    text = "{'X-DOMO-Developer-Token': 'never-seen-before-token'} and x-domo-developer-token: abc"

    assert redact(text) == (
        "{'X-DOMO-Developer-Token': '[redacted]'} and x-domo-developer-token: [redacted]"
    )


def test_tracebacks_are_redacted():
    CodeEngineClient("https://acme.domo.com", SECRET)
    try:
        raise ValueError(f"bad {SECRET}")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())

    formatted = _format(record)

    assert SECRET not in formatted
    assert "ValueError: bad [redacted]" in formatted


OPAQUE = "opaque-credential-4b1d9e"


@pytest.mark.parametrize(
    "line",
    [
        f"Unexpected auth - 'Bearer {OPAQUE}'",
        f"Unexpected auth - 'Bearer{OPAQUE}'",
        f"Authorization: bEaReR   {OPAQUE}",
        f"auth={{'authorization': 'Bearer {OPAQUE}'}}",
        f"HTTP_AUTHORIZATION='Bearer {OPAQUE}'",
    ],
)
def test_bearer_credentials_are_redacted_with_or_without_the_space_in_any_case(line):
    assert OPAQUE not in redact(line)


@pytest.mark.parametrize(
    "line",
    [
        f"Unexpected auth - 'Basic {BASIC}'",
        f"Unexpected auth - 'basic{BASIC}'",
        f"Authorization: Basic {BASIC}",
        f"login admin:{PASSWORD} with Basic {BASIC}, password {PASSWORD}",
    ],
)
def test_basic_credentials_and_the_password_they_encode_are_redacted(line):
    redacted = redact(line)

    assert BASIC not in redacted
    assert PASSWORD not in redacted


@pytest.mark.parametrize(
    "line",
    [f"the key was{API_KEY}.", f"GET /x/{API_KEY[:-1]}{API_KEY} 404", f"name_{API_KEY}"],
)  # fmt: skip
def test_api_keys_are_redacted_even_glued_to_other_text_keeping_their_id(line):
    redacted = redact(line)

    assert "uXRlK66x7Sb007BC44s8tfHcmfZb26WwzBUYXZ73-OI" not in redacted
    assert "ce_06586aae9d22_[redacted]" in redacted


def test_a_mistyped_api_key_is_redacted_too():
    assert redact("tried ce_000000000000_wrong and ce_not-a-key") == (
        "tried ce_000000000000_[redacted] and ce_[redacted]"
    )


@pytest.mark.parametrize(
    "name",
    ["key", "api_key", "apikey", "token", "access_token", "refresh_token", "id_token",
     "password", "new_password1", "secret", "client_secret", "code", "code_verifier",
     "assertion", "client_assertion", "sessionid", "csrftoken", "csrfmiddlewaretoken",
     "signature"],
)  # fmt: skip
@pytest.mark.parametrize(
    "template",
    ["GET /callback/?{name}={value}&state=s1 302", "/x?a=1&{name}={value}", "{name}={value}",
     '{{"{name}": "{value}"}}', "{{'{name}': ['{value}']}}", "{name}: {value}",
     "Cookie-ish {name}={value}; other=1", "GET /x?{name}={encoded}"],
)  # fmt: skip
def test_credentials_in_parameters_and_fields_are_redacted(name, template):
    line = template.format(
        name=name, value="Sensitive-Value+/=42", encoded="Sensitive-Value%2B%2F%3D42"
    )

    assert "Sensitive" not in redact(line)
    assert "Value" not in redact(line)


def test_a_quoted_value_is_redacted_up_to_its_closing_quote():
    assert redact('{"password": "correct horse, battery", "user": "ada"}') == (
        '{"password": "[redacted]", "user": "ada"}'
    )


def test_a_percent_encoded_name_is_still_a_name():
    assert "plain-secret" not in redact("GET /x?api%5Fkey=plain-secret&%6Bey=plain-secret")


def test_cookie_headers_are_redacted_whole():
    line = "HTTP_COOKIE='sessionid=abc123session; csrftoken=def456csrf; theme=dark'"

    assert redact(line) == "HTTP_COOKIE='[redacted]'"


def test_fernet_keys_and_ciphertexts_are_redacted():
    line = f"keys [{FERNET_KEY}] stored {FERNET_TOKEN}"

    assert redact(line) == "keys [[redacted]] stored [redacted]"


def test_an_oauth_token_request_glued_to_its_path_keeps_only_what_is_not_secret():
    query = ("grant_type=authorization_code&code=C0de&code_verifier=SECRETIII999"
             "&client_id=abc&client_assertion_type=urn:jwt&client_assertion=eyJ.x.y")  # fmt: skip

    assert "/oauth/token/" + redact_query_string(query) == (
        "/oauth/token/grant_type=authorization_code&code=[redacted]"
        "&code_verifier=[redacted]&client_id=abc&client_assertion_type=urn:jwt"
        "&client_assertion=[redacted]"
    )


def test_a_query_string_glued_to_its_path_is_redacted_parameter_by_parameter():
    assert redact_query_string(f"key={API_KEY}&q=greet&password=x") == (
        "key=[redacted]&q=greet&password=[redacted]"
    )


@pytest.mark.parametrize(
    "line",
    [
        "Task id=7545baca path=codeengine_ui.runs.tasks.run_execution state=SUCCESSFUL",
        "run 12 failed: error_code=bad_token status_code=401 since_date=2026-01-01",
        "GET /executions/?function=3&status=FAILED&instance_id=2 200 4ms",
        "basically, the bearers of this news: keys 3",
    ],
)
def test_lines_without_credentials_are_left_as_they_are(line):
    assert redact(line) == line


def test_every_logger_of_the_console_writes_once_and_redacted(tmp_path):
    """Django's own loggers (request, server, security), django-ninja's (`django`),
    allauth's, axes', httpx's, the task framework's and the console's all reach the one
    root handler, whose formatter redacts."""
    script = f"""
import logging, django
django.setup()
from codeengine_ui.domo.client import CodeEngineClient
CodeEngineClient("https://acme.domo.com", "{SECRET}")
for name in ("django", "django.request", "django.server", "django.security.csrf",
             "allauth.account", "axes.handlers", "httpx", "django.tasks",
             "codeengine_ui.runs.worker", "some.library"):
    logging.getLogger(name).error(
        "%s: /x?token={SECRET}&key={API_KEY} Authorization: Basic {BASIC}", name
    )
"""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "codeengine_ui.settings",
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    ran = subprocess.run(
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, timeout=60
    )

    assert ran.returncode == 0, ran.stderr
    for secret in (SECRET, API_KEY, BASIC, PASSWORD):
        assert secret not in ran.stderr
    assert ran.stderr.count("django.request: /x?token=[redacted]") == 1
    assert ran.stderr.count("django.server: /x?token=[redacted]") == 1
    assert ran.stderr.count("/x?token=") == 10


def test_signatures_and_auth_values_in_a_query_are_redacted():
    line = "GET /hook?auth=abc123def&sig=0f9e8d7c&credential=q1w2&author=bob 200"

    assert redact(line) == (
        "GET /hook?auth=[redacted]&sig=[redacted]&credential=[redacted]&author=bob 200"
    )
