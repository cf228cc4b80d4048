"""One table of error codes: every failure the client or the console names is in it, with
a title and what to do next."""

import pytest

from codeengine_ui.catalog.encryption import TokenDecryptionError
from codeengine_ui.domo import errors
from codeengine_ui.error_codes import ErrorCode, next_step_for, with_next_step


def _client_error_classes(base=errors.CodeEngineError):
    for subclass in base.__subclasses__():
        yield subclass
        yield from _client_error_classes(subclass)


@pytest.mark.parametrize("error_class", list(_client_error_classes()), ids=lambda c: c.__name__)
def test_every_failure_the_client_names_is_in_the_table(error_class):
    assert error_class.code in ErrorCode.values


def test_an_unreadable_token_is_in_the_table():
    assert TokenDecryptionError.code == ErrorCode.TOKEN_UNREADABLE


@pytest.mark.parametrize("code", list(ErrorCode), ids=lambda code: code.value)
def test_every_code_has_a_title_and_a_next_step(code):
    assert code.title and code.title[0].isupper()
    assert code.next_step.endswith(".") and code.next_step[0].isupper()


def test_a_message_and_its_next_step_are_shown_together_once():
    error = errors.BadTokenError("The access token was refused (HTTP 401).")

    shown = with_next_step(error)

    assert shown == f"The access token was refused (HTTP 401). {ErrorCode.BAD_TOKEN.next_step}"
    assert with_next_step(ValueError("No code.")) == "No code."


def test_a_stored_code_the_table_no_longer_has_gets_no_next_step():
    assert next_step_for("retired_code") == ""
    assert next_step_for("") == ""
