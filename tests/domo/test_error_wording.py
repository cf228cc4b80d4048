"""An error's message says each thing once: Domo's words are quoted only when they add
something to the console's own."""

import pytest

from codeengine_ui.domo.client import CodeEngineClient
from codeengine_ui.domo.errors import PermissionDeniedError, says_already, starts_with
from codeengine_ui.error_codes import title_before
from tests.conftest import DEVELOPER_TOKEN, reply


def _refused(raw_server, body: bytes) -> PermissionDeniedError:
    server = raw_server(reply("403 Forbidden", body))
    with pytest.raises(PermissionDeniedError) as raised:
        CodeEngineClient(server.url, DEVELOPER_TOKEN, timeout=5).check_token()
    return raised.value


@pytest.mark.parametrize(
    "body",
    [b'{"message": "Access denied"}', b'{"message": "ACCESS DENIED."}', b"access-denied!"],
)
def test_domo_words_that_repeat_the_message_are_not_quoted(raw_server, body):
    error = _refused(raw_server, body)

    assert str(error) == (
        "Access denied (HTTP 403): the token's owner has no EXECUTE permission on this package."
    )
    assert error.detail  # still kept with the error, for whoever reads it


def test_domo_words_that_add_something_are_quoted(raw_server):
    error = _refused(raw_server, b'{"message": "User 42 lacks EXECUTE on package p-1"}')

    assert str(error).endswith('Domo said: "User 42 lacks EXECUTE on package p-1".')


@pytest.mark.parametrize(
    ("text", "words", "held"),
    [
        ("Access denied (HTTP 403): no EXECUTE.", "access denied", True),
        ("Access denied (HTTP 403): no EXECUTE.", "Access-Denied!", True),
        ("Access denied (HTTP 403): no EXECUTE.", "Forbidden", False),
        ("Access denied (HTTP 403): no EXECUTE.", "denied access", False),
        ("Access denied (HTTP 403): no EXECUTE.", "cess", False),  # whole words only
        ("Access denied.", "", False),
    ],
)
def test_words_are_compared_whatever_their_case_and_punctuation(text, words, held):
    assert says_already(text, words) is held


def test_a_title_is_not_put_before_a_message_that_opens_with_it():
    message = "Access denied (HTTP 403): the token's owner has no EXECUTE permission."

    assert starts_with(message, "ACCESS DENIED")
    assert title_before("permission_denied", message) == ""
    assert title_before("bad_token", "The access token was refused (HTTP 401).") == (
        "Token refused"
    )
    assert title_before("", "Something failed.") == ""
