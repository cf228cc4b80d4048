import logging

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
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())

    formatted = _format(record)

    assert SECRET not in formatted
    assert "ValueError: bad [redacted token]" in formatted
