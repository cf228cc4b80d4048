"""Keeps access tokens and API keys out of log output, as a second line of defence.

The client never logs a token; this filter still scrubs any token the process has handed
to a client, and anything that looks like a developer-token header, from every record.
"""

import logging
import re
import threading

_HEADER_PATTERN = re.compile(
    r"(x-domo-developer-token['\"]?\s*[:=]\s*['\"]?)([^'\"\s,}]+)", re.IGNORECASE
)
# The console's own API keys (ce_<id>_<secret>): the secret part, wherever it appears.
_API_KEY_PATTERN = re.compile(r"\b(ce_[0-9a-f]{12}_)[A-Za-z0-9_-]{16,}")
_MIN_SECRET_LENGTH = 8
_known_secrets: set[str] = set()
_lock = threading.Lock()


def mask(secret: str) -> str:
    """How a token is shown anywhere: only its last four characters."""
    return "••••" + secret[-4:] if len(secret) >= _MIN_SECRET_LENGTH else "••••"


def register_secret(secret: str) -> None:
    if len(secret) >= _MIN_SECRET_LENGTH:
        with _lock:
            _known_secrets.add(secret)


def redact(text: str) -> str:
    text = _HEADER_PATTERN.sub(lambda match: match.group(1) + "[redacted]", text)
    text = _API_KEY_PATTERN.sub(lambda match: match.group(1) + "[redacted]", text)
    with _lock:
        secrets = [secret for secret in _known_secrets if secret in text]
    for secret in secrets:
        text = text.replace(secret, "[redacted token]")
    return text


class RedactTokensFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
