"""Keeps credentials out of log output, whatever their shape: every handler of the
console's processes formats through `RedactingFormatter`, and gunicorn's access and error
lines go through the same `redact` (codeengine_ui/gunicorn_logging.py).

Nothing should log a credential in the first place (the client never logs a token, the
API never logs a key); this is the second line of defence. It scrubs credentials by shape
(Authorization schemes, the console's API keys, fields and parameters named like secrets,
cookies, Fernet keys and ciphertexts) and by value (every token the process has handed to
a client, and its own configured secrets), also where a line holds them percent-encoded.
"""

import base64
import binascii
import logging
import re
import threading
from urllib.parse import unquote

REDACTED = "[redacted]"
_MIN_SECRET_LENGTH = 8
# A password decoded from an `Authorization: Basic` value is scrubbed from the same line
# from this length; shorter, its replacement would garble unrelated words.
_MIN_DECODED_PASSWORD_LENGTH = 4

# Headers whose whole value is a credential (as HTTP, WSGI's HTTP_* or a repr writes them).
_HEADER_PATTERN = re.compile(
    r"(?<![\w-])((?:http_)?(?:proxy[-_])?authorization|(?:http_)?cookie|set[-_]cookie"
    r"|(?:http_)?x[-_]domo[-_]developer[-_]token|(?:http_)?x[-_]api[-_]key)"
    r"(['\"]?\s*[:=]\s*['\"]?)([^'\"\r\n]+)",
    re.IGNORECASE,
)
# `Bearer <credential>` and `Basic <credential>`, also without the space ("Bearerce_…").
_SCHEME_PATTERN = re.compile(
    r"(?<![a-z])(bearer|basic)(?:\s+|(?=[\w+/=.~-]{8,}))([^\s'\"]+)", re.IGNORECASE
)
# The console's API keys, ce_<id>_<secret>: anywhere in a line when whole (the id stays,
# to tell keys apart), and any other ce_… word, which can only be a mistyped key.
_API_KEY_PATTERN = re.compile(
    r"(ce_[0-9a-f]{12}_)[\w-]+|(?<![A-Za-z0-9])ce_(?![0-9a-f]{12}_)[\w-]+"
)
# `name=value`, `name: value`, "name": "value" and 'name': ['value'] for names that hold
# credentials: query strings, forms, cookies, JSON and reprs.
_FIELD_PATTERN = re.compile(
    r"(?<![\w-])([\w-]*password[\w-]*|passwd|[\w-]*secret[\w-]*|(?:[\w-]*[_-])?keys?|apikey"
    r"|[\w-]*token|code(?:[_-]verifier)?|[\w-]*assertion|sessionid|signature|sig|auth"
    r"|credentials?)"
    r"(['\"]?\s*[:=]\s*(?!\[redacted\])\[?\s*)(?:(['\"]).*?(?:\3|$)|[^\s'\"&;,)}\[\]]+)",
    re.IGNORECASE | re.MULTILINE,
)
# Fernet ciphertexts (a version byte and a timestamp make them start gAAAAA) and keys.
_FERNET_PATTERN = re.compile(r"gAAAAA[\w=-]{20,}|(?<![\w=-])[\w-]{43}=(?![\w=-])")

_known_secrets: set[str] = set()
_lock = threading.Lock()


def mask(secret: str) -> str:
    """How a token is shown anywhere: only its last four characters."""
    return "••••" + secret[-4:] if len(secret) >= _MIN_SECRET_LENGTH else "••••"


def register_secret(secret: str) -> None:
    """A value redacted from every later line of this process, whatever surrounds it."""
    if len(secret) >= _MIN_SECRET_LENGTH:
        with _lock:
            _known_secrets.add(secret)


def redact(text: str) -> str:
    """`text` without the credentials it holds; a line that held one percent-encoded is
    returned decoded, redacted."""
    redacted = _redact_known_secrets(_redact_shapes(text))
    if "%" in redacted:
        decoded = unquote(redacted)
        again = _redact_known_secrets(_redact_shapes(decoded))
        if again != decoded:
            return again
    return redacted


def redact_query_string(query: str) -> str:
    """A raw query string with each parameter redacted on its own, so the first name is
    recognised even where a log format glues the query to the path."""
    return "&".join(redact(pair) for pair in query.split("&"))


def _redact_shapes(text: str) -> str:
    text = _redact_basic_credentials(text)
    text = _HEADER_PATTERN.sub(lambda match: match[1] + match[2] + REDACTED, text)
    text = _FIELD_PATTERN.sub(
        lambda match: match[1] + match[2] + (match[3] or "") + REDACTED + (match[3] or ""), text
    )
    text = _SCHEME_PATTERN.sub(lambda match: f"{match[1]} {REDACTED}", text)
    text = _API_KEY_PATTERN.sub(lambda match: (match[1] or "ce_") + REDACTED, text)
    return _FERNET_PATTERN.sub(REDACTED, text)


def _redact_known_secrets(text: str) -> str:
    with _lock:
        secrets = [secret for secret in _known_secrets if secret in text]
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def _redact_basic_credentials(text: str) -> str:
    """The user:password a Basic credential encodes, wherever the line also shows it."""
    for match in _SCHEME_PATTERN.finditer(text):
        if match[1].lower() != "basic":
            continue
        decoded = _base64_text(match[2])
        if decoded is None or ":" not in decoded:
            continue
        password = decoded.partition(":")[2]
        text = text.replace(decoded, REDACTED)
        if len(password) >= _MIN_DECODED_PASSWORD_LENGTH:
            text = text.replace(password, REDACTED)
    return text


def _base64_text(value: str) -> str | None:
    padded = value + "=" * (-len(value) % 4)
    for decode in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            return decode(padded).decode()
        except (binascii.Error, ValueError):
            continue
    return None


class RedactingFormatter(logging.Formatter):
    """A formatter whose every line, traceback and stack included, goes through `redact`."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))
