"""What can go wrong when calling Code Engine, in words a user of the console understands.

Every failure of a call ends in one of these; callers never see httpx's exceptions. A
message says what happened; `code` names the failure (the console's error-code table says
what to do next). No
message ever contains the access token: messages are built from our own text and from
the reply body, never from the request.
"""

import re


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def says_already(text: str, words: str) -> bool:
    """Whether `text` already holds `words`, whatever their case and punctuation: what is
    said once ("Access denied") is not said again."""
    wanted = _words(words)
    return bool(wanted) and f" {wanted} " in f" {_words(text)} "


def starts_with(text: str, words: str) -> bool:
    """Whether `text` begins with `words`, whatever their case and punctuation."""
    wanted = _words(words)
    return bool(wanted) and f"{_words(text)} ".startswith(f"{wanted} ")


class CodeEngineError(Exception):
    """Base class: `str(error)` is a complete sentence to show to a user.

    `not_run` is true only where Code Engine certainly did not run the function (it
    refused the rate, or the request never left), so calling again cannot run it twice.
    `lasting` marks a failure that waiting will not mend (a certificate the console does
    not trust, a host name that does not exist).
    """

    code = "error"
    not_run = False

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        detail: str = "",
        trace_id: str = "",
        lasting: bool = False,
    ):
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.detail = detail
        self.trace_id = trace_id
        self.lasting = lasting

    @property
    def may_try_again(self) -> bool:
        """Calling again can neither run the function twice nor fail the same way for sure."""
        return self.not_run and not self.lasting

    def __str__(self) -> str:
        return self.message


class InvalidRequestError(CodeEngineError, ValueError):
    """The console refused to build the call (a bad path segment or base URL)."""

    code = "invalid_request"


class BadTokenError(CodeEngineError):
    code = "bad_token"


class PermissionDeniedError(CodeEngineError):
    code = "permission_denied"


class NotFoundError(CodeEngineError):
    code = "not_found"


class UpstreamError(CodeEngineError):
    """Code Engine answered, but not with something usable (5xx, 3xx, 4xx, bad JSON)."""

    code = "upstream_error"


class RateLimitedError(UpstreamError):
    code = "rate_limited"
    not_run = True

    def __init__(self, message: str, *, retry_after: float | None = None, **details):
        super().__init__(message, **details)
        self.retry_after = retry_after  # seconds, from the Retry-After header


class RequestRefusedError(UpstreamError):
    """A 4xx other than 401, 403, 404 and 429: most likely the inputs."""

    code = "request_refused"


class ResponseTooLargeError(UpstreamError):
    """Larger, or more deeply nested, than the console keeps."""

    code = "response_too_large"


class CodeEngineTimeoutError(CodeEngineError):
    code = "timeout"


class UnreachableError(CodeEngineError):
    """No connection: the request was never sent."""

    code = "unreachable"
    not_run = True
