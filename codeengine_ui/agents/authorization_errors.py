"""What the person is told when an authorization request cannot go on. The error is shown
on the console's own page, never sent to the client's redirect URI: anyone may register a
client with any https redirect URI, so sending errors there would make the console an
open redirector (RFC 9700 4.11.2)."""

from collections import Counter
from urllib.parse import parse_qsl, urlsplit

from oauthlib.oauth2.rfc6749 import errors

# By the error's code: what was wrong, for the person who followed the assistant's link.
PROBLEMS = {
    "invalid_request": "The assistant's request is incomplete or malformed.",
    "unsupported_response_type": (
        "The assistant asked for a kind of answer this console does not give: it only "
        "gives an authorization code (response_type=code)."
    ),
    "invalid_scope": (
        "The assistant asked for permissions this console does not have: the only one is “tools”."
    ),
    "unauthorized_client": (
        "The assistant asked to connect in a way this console does not allow: only with an "
        "authorization code (response_type=code) and PKCE."
    ),
    "invalid_target": (
        "The assistant asked for access to something other than this console's MCP endpoint."
    ),
    "invalid_client": "The assistant is not registered with this console.",
    "server_error": "The console could not handle the request.",
    "temporarily_unavailable": "The console cannot handle the request right now.",
}
UNKNOWN_PROBLEM = "The assistant's request cannot be accepted."


def error_page_context(error: errors.OAuth2Error) -> dict:
    """The consent page's context for `error`: a sentence saying what was wrong, the
    error's own description (often naming the parameter), and its code."""
    return {
        "error": error,
        "problem": PROBLEMS.get(error.error, UNKNOWN_PROBLEM),
        "detail": error.description or "",
    }


def error_in_answer(answer_uri: str, redirect_uri: str) -> errors.OAuth2Error | None:
    """The error oauthlib put in the redirect it answered with, instead of raising it (it
    does so for a request that fails its checks once the person has answered)."""
    answer = urlsplit(answer_uri)
    added = Counter(parse_qsl(answer.query) + parse_qsl(answer.fragment))
    added -= Counter(parse_qsl(urlsplit(redirect_uri).query))
    params = dict(added.elements())
    if "error" not in params:
        return None
    return errors.CustomOAuth2Error(
        error=params["error"], description=params.get("error_description")
    )
