"""Why a run (or a call to an instance) ended without a result from Code Engine: one table.

A stored message says what happened, in the words of the place it happened; the code's
title names it in a word or two, and its next step says what to do about it, once. The
Code Engine client, which knows nothing of Django, names its failures with these same
values (`CodeEngineError.code`).
"""

from django.db import models

from codeengine_ui.domo.client import FUNCTION_TIME_LIMIT_SECONDS
from codeengine_ui.domo.errors import starts_with


class ErrorCode(models.TextChoices):
    # The console refused to start the run.
    TOKEN_MISSING = "token_missing", "Token deleted"
    TOKEN_DISABLED = "token_disabled", "Token disabled"
    TOKEN_EXPIRED = "token_expired", "Token expired"
    TOKEN_NOT_GRANTED = "token_not_granted", "Token not granted"
    ROLE_REVOKED = "role_revoked", "No member role"
    TOKEN_UNREADABLE = "token_unreadable", "Token unreadable"
    INVALID_REQUEST = "invalid_request", "Call not allowed"
    # Code Engine, or the way to it, failed.
    BAD_TOKEN = "bad_token", "Token refused"
    PERMISSION_DENIED = "permission_denied", "Access denied"
    NOT_FOUND = "not_found", "Function not found"
    RATE_LIMITED = "rate_limited", "Rate limited"
    REQUEST_REFUSED = "request_refused", "Request refused"
    UPSTREAM_ERROR = "upstream_error", "Code Engine failed"
    RESPONSE_TOO_LARGE = "response_too_large", "Answer too large"
    TIMEOUT = "timeout", "Timed out"
    UNREACHABLE = "unreachable", "Instance unreachable"
    DATASET_UNREADABLE = "dataset_unreadable", "DataSet unreadable"
    # The console failed.
    INTERRUPTED = "interrupted", "Worker stopped"
    INTERNAL = "internal", "Console error"

    @property
    def title(self) -> str:
        return str(self.label)

    @property
    def next_step(self) -> str:
        return _NEXT_STEPS[self]


# Failures where Code Engine certainly did not run the function: the console refused to
# call, or Code Engine refused the call before running it.
NOT_RUN_CODES = frozenset(
    {
        ErrorCode.TOKEN_MISSING,
        ErrorCode.TOKEN_DISABLED,
        ErrorCode.TOKEN_EXPIRED,
        ErrorCode.TOKEN_NOT_GRANTED,
        ErrorCode.ROLE_REVOKED,
        ErrorCode.TOKEN_UNREADABLE,
        ErrorCode.INVALID_REQUEST,
        ErrorCode.BAD_TOKEN,
        ErrorCode.PERMISSION_DENIED,
        ErrorCode.NOT_FOUND,
        ErrorCode.RATE_LIMITED,
        ErrorCode.UNREACHABLE,
    }
)

_NEXT_STEPS = {
    ErrorCode.TOKEN_MISSING: "Run again with another token.",
    ErrorCode.TOKEN_DISABLED: "Ask an admin to enable the token, or run again with another token.",
    ErrorCode.TOKEN_EXPIRED: "Ask an admin to renew the token in Domo and rotate it here, or "
    "run again with another token.",
    ErrorCode.TOKEN_NOT_GRANTED: "Ask an admin to grant you the token again, or run with a "
    "token granted to you.",
    ErrorCode.ROLE_REVOKED: "Only members run functions: ask an admin for the member role, "
    "then run again.",
    ErrorCode.DATASET_UNREADABLE: "Check that the DataSet exists, is indexed and is shared "
    "with the token's owner in Domo, or upload its rows as a file instead.",
    ErrorCode.TOKEN_UNREADABLE: "Ask an admin to paste it again under Access tokens (Rotate), "
    "or to add the old key back to TOKEN_ENCRYPTION_KEYS.",
    ErrorCode.INVALID_REQUEST: "Correct the function's package id, version or name, or the "
    "instance's address (or CODEENGINE_ALLOWED_HOSTS), then run again.",
    ErrorCode.BAD_TOKEN: "Ask an admin to check or replace the token under Access tokens: it "
    "may be mistyped, expired or revoked in Domo.",
    ErrorCode.PERMISSION_DENIED: "Ask the package's owner in Domo to share it with the "
    "token's user with Execute permission; if every call is refused, check the instance name.",
    ErrorCode.NOT_FOUND: "Check the package id, version and function name; refresh the "
    "function's definition to see what exists.",
    ErrorCode.RATE_LIMITED: "Wait a minute, then run again.",
    ErrorCode.REQUEST_REFUSED: "Check the inputs against the function's definition, then "
    "run again.",
    ErrorCode.UPSTREAM_ERROR: "Run again in a moment; if it keeps failing, check the "
    "instance's address and the function in Domo.",
    ErrorCode.RESPONSE_TOO_LARGE: "Return less data, or flatter data, from the function; an "
    "admin can raise CODEENGINE_MAX_RESPONSE_BYTES for larger answers.",
    ErrorCode.TIMEOUT: f"Functions may run for up to {FUNCTION_TIME_LIMIT_SECONDS // 60} "
    "minutes: look for a slow step or an endless loop, or run with logs on to see how far it "
    "got.",
    ErrorCode.UNREACHABLE: "Check the instance address and your network, then run again.",
    ErrorCode.INTERRUPTED: "Run it again to be sure; if the function changes data, check "
    "the execution in Domo first.",
    ErrorCode.INTERNAL: "Run again; if it repeats, report it with the run's number.",
}


def next_step_for(code: str) -> str:
    """What to do next for a stored code; nothing for an unknown or empty one."""
    return ErrorCode(code).next_step if code in ErrorCode.values else ""


def title_before(code: str, message: str) -> str:
    """The code's title to show before a stored `message`, or "" when the message opens
    with those words already (never "Access denied: Access denied (HTTP 403)…")."""
    if code not in ErrorCode.values:
        return ""
    title = ErrorCode(code).title
    return "" if starts_with(message, title) else title


def with_next_step(error: Exception) -> str:
    """A failure's message and what to do next, for a page that shows both in one place."""
    step = next_step_for(getattr(error, "code", ""))
    return f"{error} {step}" if step else str(error)
