import logging
import os
import subprocess
import sys

from codeengine_ui.domo.client import CodeEngineClient
from codeengine_ui.domo.redaction import RedactTokensFilter, redact

SECRET = "secret-token-1234567890abcdef"


def _format(record: logging.LogRecord) -> str:
    RedactTokensFilter().filter(record)
    return logging.Formatter().format(record)


def test_filter_scrubs_a_token_the_process_has_used():
    CodeEngineClient("https://acme.domo.com", SECRET)
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "sent %s", (SECRET,), None)

    assert _format(record) == "sent [redacted token]"


def test_filter_scrubs_token_headers_even_for_unknown_tokens():
    text = "{'X-DOMO-Developer-Token': 'never-seen-before-token'} and x-domo-developer-token: abc"

    assert "never-seen-before-token" not in redact(text)
    assert redact(text).count("[redacted]") == 2


def test_filter_scrubs_tracebacks():
    CodeEngineClient("https://acme.domo.com", SECRET)
    try:
        raise ValueError(f"bad {SECRET}")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())

    formatted = _format(record)

    assert SECRET not in formatted
    assert "ValueError: bad [redacted token]" in formatted


def test_djangos_own_log_lines_are_written_once_and_redacted(tmp_path):
    """Django's default handler for its `django` logger prints under DEBUG without our
    filter; the console's settings leave every line to the one redacting handler."""
    script = f"""
import logging, django
django.setup()
from codeengine_ui.domo.client import CodeEngineClient
CodeEngineClient("https://acme.domo.com", "{SECRET}")
logging.getLogger("django.request").warning("Not Found: /x?token={SECRET}")
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
    assert SECRET not in ran.stderr
    assert ran.stderr.count("Not Found: /x") == 1
