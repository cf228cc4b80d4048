"""The Code Engine client against the emulator over real loopback HTTP."""

from datetime import UTC, datetime

import pytest

from codeengine_ui.demo.package import (
    DEMO_PACKAGE_ID,
    GLOBAL_PACKAGE_ID,
    PRIVATE_PACKAGE_ID,
)
from codeengine_ui.domo.client import CodeEngineClient, FunctionExecution, retry_after_seconds
from codeengine_ui.domo.errors import (
    BadTokenError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    UnreachableError,
    UpstreamError,
)
from tests.conftest import ANALYST_TOKEN, DEVELOPER_TOKEN

VERSION = "1.1.0"


@pytest.fixture
def client(emulator):
    return CodeEngineClient(emulator.url, DEVELOPER_TOKEN, timeout=10)


def test_successful_run_returns_result_logs_and_domo_times(client):
    execution = client.run_function(
        DEMO_PACKAGE_ID, VERSION, "greet", {"name": "Ada", "excited": True}, get_logs=True
    )

    assert isinstance(execution, FunctionExecution)
    assert execution.status == "SUCCESS" and execution.succeeded
    assert execution.result == "Hello, Ada!"
    assert execution.stdout == ["Greeting Ada", {"event": "greeted", "name": "Ada"}]
    assert execution.stderr == []
    assert execution.started_on is not None and execution.completed_on >= execution.started_on
    assert execution.started_by == "1001"
    assert execution.execution_id


def test_logs_are_empty_when_get_logs_is_off(client):
    execution = client.run_function(DEMO_PACKAGE_ID, VERSION, "greet", {"name": "Ada"})

    assert execution.status == "SUCCESS"
    assert execution.stdout == [] and execution.stderr == []


def test_get_execution_fetches_a_past_run(client):
    first = client.run_function(DEMO_PACKAGE_ID, VERSION, "addNumbers", {"a": 2, "b": 3})

    again = client.get_execution(DEMO_PACKAGE_ID, first.execution_id)

    assert again.execution_id == first.execution_id
    assert again.result == 5 and again.status == "SUCCESS"


def test_failed_function_is_a_result_not_an_exception(client):
    execution = client.run_function(
        DEMO_PACKAGE_ID, VERSION, "failWithError", {"reason": "disk full"}, get_logs=True
    )

    assert execution.status == "FAILED"
    assert execution.http_status == 200
    assert execution.error_information["errorMessages"] == ["RuntimeError: disk full"]
    assert "Something went wrong" in execution.stderr


def test_result_type_failure_carries_expected_and_actual_types(client):
    execution = client.run_function(DEMO_PACKAGE_ID, VERSION, "wrongResultType", {})

    assert execution.status == "RESULT_TYPE_FAILURE"
    info = execution.error_information
    assert (info["expectedType"], info["actualType"]) == ("number", "text")
    assert info["expectedIsList"] is False and info["actualIsList"] is False


def test_function_returning_nothing_is_output_undefined(client):
    execution = client.run_function(DEMO_PACKAGE_ID, VERSION, "returnNothing", {})

    assert execution.status == "OUTPUT_UNDEFINED"
    assert execution.result is None


def test_wrong_input_type_can_come_back_as_failed(client):
    execution = client.run_function(DEMO_PACKAGE_ID, VERSION, "addNumbers", {"a": "two", "b": 1})

    assert execution.status == "FAILED"
    assert execution.error_information["errorMessages"] == [
        'a: expected a whole number (e.g. 42), got text "two"'
    ]


def test_wrong_input_type_can_come_back_as_http_400(strict_emulator):
    client = CodeEngineClient(strict_emulator.url, DEVELOPER_TOKEN, timeout=10)

    with pytest.raises(UpstreamError) as raised:
        client.run_function(DEMO_PACKAGE_ID, VERSION, "addNumbers", {"a": "two", "b": 1})

    assert raised.value.http_status == 400
    assert 'Invalid input: a: expected a whole number (e.g. 42), got text "two"' in str(
        raised.value
    )


def test_unknown_token_is_a_bad_token_error(emulator):
    client = CodeEngineClient(emulator.url, "not-a-real-token-123456", timeout=10)

    with pytest.raises(BadTokenError) as raised:
        client.run_function(DEMO_PACKAGE_ID, VERSION, "greet", {"name": "x"})

    assert raised.value.http_status == 401
    assert "wrong, expired or revoked" in str(raised.value)
    assert "not-a-real-token-123456" not in str(raised.value) + repr(raised.value)


def test_check_token_reads_a_plain_text_401(emulator):
    with pytest.raises(BadTokenError) as raised:
        CodeEngineClient(emulator.url, "not-a-real-token-123456").check_token()

    assert raised.value.detail == "Unauthorized"


def test_check_token_names_the_domo_user(client):
    assert client.check_token()["displayName"] == "Demo Developer"


def test_package_the_token_may_not_execute_is_permission_denied(emulator):
    client = CodeEngineClient(emulator.url, ANALYST_TOKEN, timeout=10)

    with pytest.raises(PermissionDeniedError) as raised:
        client.run_function(PRIVATE_PACKAGE_ID, "2.0.0", "greet", {"name": "x"})

    assert raised.value.http_status == 403
    assert raised.value.detail == "Forbidden"
    assert raised.value.trace_id.startswith("EMU-")
    assert "EXECUTE permission" in str(raised.value)


@pytest.mark.parametrize(
    ("version", "function_name"),
    [("1.1.0", "noSuchFunction"), ("9.9.9", "greet"), ("1.3.0", "greet")],
    ids=["unknown function", "unknown version", "unreleased version"],
)
def test_unknown_or_unreleased_is_not_found(client, version, function_name):
    with pytest.raises(NotFoundError) as raised:
        client.run_function(DEMO_PACKAGE_ID, version, function_name, {})

    assert raised.value.http_status == 404
    assert "not released" in str(raised.value)


def test_unknown_package_is_not_found(client):
    with pytest.raises(NotFoundError):
        client.get_package("00000000-0000-0000-0000-000000000000")


def test_list_get_package_and_get_version(client):
    packages = client.list_packages()
    package = client.get_package(DEMO_PACKAGE_ID)
    version = client.get_version(DEMO_PACKAGE_ID, VERSION)

    assert {p["id"] for p in packages} == {DEMO_PACKAGE_ID, PRIVATE_PACKAGE_ID, GLOBAL_PACKAGE_ID}
    assert [(v["version"], v["released"] is not None) for v in package["versions"]] == [
        ("1.0.0", True),
        ("1.1.0", True),
        ("1.2.0", True),
        ("1.3.0", False),
    ]
    assert "greet" in [function["name"] for function in version["functions"]]


@pytest.mark.parametrize(
    ("package_id", "version", "function_name"),
    [
        (DEMO_PACKAGE_ID, VERSION, "../../users"),
        (DEMO_PACKAGE_ID, "../1.0.0", "greet"),
        ("../packages", VERSION, "greet"),
        (DEMO_PACKAGE_ID, VERSION, "greet?x=1"),
        (DEMO_PACKAGE_ID, VERSION, ".."),
        (DEMO_PACKAGE_ID, VERSION, ""),
    ],
)
def test_path_segments_that_would_change_the_url_are_refused_before_sending(
    emulator, client, package_id, version, function_name
):
    runs_before = emulator.server.emulator.runs_received

    with pytest.raises(InvalidRequestError):
        client.run_function(package_id, version, function_name, {})

    assert emulator.server.emulator.runs_received == runs_before


def test_closed_port_is_unreachable():
    client = CodeEngineClient("http://127.0.0.1:9", DEVELOPER_TOKEN, timeout=5)

    with pytest.raises(UnreachableError) as raised:
        client.check_token()

    assert "Could not connect to 127.0.0.1:9" in str(raised.value)


def test_client_repr_masks_the_token(client):
    assert DEVELOPER_TOKEN not in repr(client)
    assert repr(client).endswith("(••••e7f8))")


def test_rate_limit_says_the_function_did_not_run_and_when_to_come_back(client, emulator):
    emulator.server.emulator.refuse_runs(1, retry_after=7)
    received = emulator.server.emulator.runs_received

    with pytest.raises(RateLimitedError, match="did not run") as caught:
        client.run_function(DEMO_PACKAGE_ID, VERSION, "greet", {"name": "Ada"})

    assert caught.value.http_status == 429 and caught.value.retry_after == 7
    assert caught.value.may_try_again
    assert emulator.server.emulator.runs_received == received
    assert client.run_function(DEMO_PACKAGE_ID, VERSION, "greet", {"name": "Ada"}).succeeded


def test_retry_after_is_read_as_seconds_or_as_a_date():
    now = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)

    assert retry_after_seconds("120", now) == 120
    assert retry_after_seconds("Thu, 26 Nov 2026 12:00:30 GMT", now) == 30
    assert retry_after_seconds("Thu, 26 Nov 2026 11:00:00 GMT", now) == 0
    for unreadable in ("", "soon", "9" * 40, "-5", "1e9"):
        assert retry_after_seconds(unreadable, now) is None


def test_only_a_failure_before_sending_may_be_tried_again(client, emulator):
    with pytest.raises(UnreachableError) as refused:
        CodeEngineClient("http://127.0.0.1:1", DEVELOPER_TOKEN).run_function(
            DEMO_PACKAGE_ID, VERSION, "greet", {}
        )
    assert refused.value.may_try_again

    with pytest.raises(BadTokenError) as bad_token:
        CodeEngineClient(emulator.url, "wrong").run_function(DEMO_PACKAGE_ID, VERSION, "greet", {})
    assert not bad_token.value.may_try_again
