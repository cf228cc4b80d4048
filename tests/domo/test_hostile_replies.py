"""The client against replies no real Code Engine should send, but a broken one might."""

import time

import pytest

from codeengine_ui.domo.client import CodeEngineClient
from codeengine_ui.domo.errors import (
    CodeEngineTimeoutError,
    ResponseTooLargeError,
    UpstreamError,
)
from tests.conftest import DEVELOPER_TOKEN, reply


def _client(server, **options) -> CodeEngineClient:
    return CodeEngineClient(server.url, DEVELOPER_TOKEN, **{"timeout": 5, **options})


def test_slow_drip_reply_ends_at_the_overall_deadline(raw_server):
    def drip(connection):
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
        for _ in range(200):
            connection.sendall(b" ")
            time.sleep(0.05)

    client = _client(raw_server(drip), timeout=1.0)
    started = time.monotonic()

    with pytest.raises(CodeEngineTimeoutError) as raised:
        client.check_token()

    assert time.monotonic() - started < 2.0
    assert "within 1 second." in str(raised.value)


def test_silent_server_times_out(raw_server):
    client = _client(raw_server(lambda connection: time.sleep(3)), timeout=0.5)

    with pytest.raises(CodeEngineTimeoutError):
        client.check_token()


def test_endless_body_is_refused_past_the_size_cap(raw_server):
    def endless(connection):
        connection.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"x" * 65536
        while True:
            connection.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))

    client = _client(raw_server(endless), max_response_bytes=1024 * 1024)

    with pytest.raises(ResponseTooLargeError) as raised:
        client.check_token()

    assert "larger than 1 MB" in str(raised.value)


def test_declared_oversized_body_is_refused_without_reading_it(raw_server):
    def oversized(connection):
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 999999999\r\n\r\n{")

    with pytest.raises(ResponseTooLargeError):
        _client(raw_server(oversized), max_response_bytes=1000).check_token()


def test_invalid_utf8_body_is_an_upstream_error(raw_server):
    with pytest.raises(UpstreamError) as raised:
        _client(raw_server(reply("200 OK", b'\xff\xfe{"a": 1}'))).check_token()

    assert "not readable JSON" in str(raised.value)


def test_deeply_nested_json_is_an_upstream_error(raw_server):
    body = b"[" * 200_000 + b"]" * 200_000

    with pytest.raises(UpstreamError) as raised:
        _client(raw_server(reply("200 OK", body))).check_token()

    assert "not readable JSON" in str(raised.value)


def test_redirect_is_not_followed(raw_server):
    redirect = reply("302 Found", b"", "Location: https://evil.example.com/api/steal\r\n")

    with pytest.raises(UpstreamError) as raised:
        _client(raw_server(redirect)).check_token()

    assert raised.value.http_status == 302
    assert "redirect (HTTP 302 to evil.example.com)" in str(raised.value)


def test_html_error_page_is_summarised(raw_server):
    page = b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>...</body>"
    server = raw_server(reply("502 Bad Gateway", page, "Content-Type: text/html\r\n"))

    with pytest.raises(UpstreamError) as raised:
        _client(server).check_token()

    assert raised.value.detail == "502 Bad Gateway"
    assert "HTTP 502" in str(raised.value)


def test_error_body_with_domo_envelope_keeps_the_trace_id(raw_server):
    body = b'{"status":500,"statusReason":"Internal Server Error","toe":"8VGVLIN8CI-EODB4"}'

    with pytest.raises(UpstreamError) as raised:
        _client(raw_server(reply("500 Internal Server Error", body))).check_token()

    assert raised.value.trace_id == "8VGVLIN8CI-EODB4"
    assert "trace id 8VGVLIN8CI-EODB4" in str(raised.value)


def test_token_echoed_in_an_error_body_is_redacted(raw_server):
    body = f'{{"message": "bad header X-DOMO-Developer-Token={DEVELOPER_TOKEN}"}}'.encode()

    with pytest.raises(UpstreamError) as raised:
        _client(raw_server(reply("400 Bad Request", body))).check_token()

    assert DEVELOPER_TOKEN not in str(raised.value)
    assert "[redacted token]" in raised.value.detail


def test_run_reply_that_is_not_an_object_is_an_upstream_error(raw_server):
    with pytest.raises(UpstreamError) as raised:
        _client(raw_server(reply("200 OK", b"[1, 2]"))).run_function("pkg", "1.0.0", "fn", {})

    assert "list instead of an execution object" in str(raised.value)


@pytest.mark.parametrize(
    "body, why",
    [
        (b'{"status": "SUCCESS", "result": NaN}', "NaN is not a JSON value"),
        (b'{"status": "SUCCESS", "result": [-Infinity]}', "-Infinity is not a JSON value"),
        (b'{"status": "SUCCESS", "result": 1e999}', "the number 1e999 is too large"),
        (b'{"status": "SUCCESS", "result": ' + b"7" * 5000 + b"}", "more digits than"),
    ],
)
def test_numbers_json_does_not_have_are_an_upstream_error_that_says_which(raw_server, body, why):
    """Python's parser reads them, but no database keeps them: storing the run would fail."""
    with pytest.raises(UpstreamError) as raised:
        _client(raw_server(reply("200 OK", body))).run_function("pkg", "1.0.0", "fn", {})

    assert "not readable JSON" in str(raised.value) and why in str(raised.value)
