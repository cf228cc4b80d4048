"""The emulator behaves like an instance on a network: HTTPS with its own authority, a
latency, answers written in one piece, and counts of what it received."""

import socket
import time

import httpx
import pytest

from codeengine_ui.demo.emulator import CodeEngineEmulator
from codeengine_ui.demo.package import DEMO_PACKAGE_ID, LATEST_DEMO_VERSION
from codeengine_ui.demo.tls import emulator_tls
from codeengine_ui.domo.client import CodeEngineClient
from codeengine_ui.domo.errors import UnreachableError
from tests.conftest import DEVELOPER_TOKEN, EMULATOR_USERS

RUN_PATH = f"/api/codeengine/v2/packages/{DEMO_PACKAGE_ID}/versions/{LATEST_DEMO_VERSION}"


@pytest.fixture
def tls_emulator(tmp_path):
    context, ca_bundle = emulator_tls(tmp_path)
    with CodeEngineEmulator(EMULATOR_USERS).start(tls=context) as running:
        yield running, ca_bundle


def test_https_is_trusted_through_the_ca_bundle_only(tls_emulator):
    running, ca_bundle = tls_emulator
    assert running.url.startswith("https://127.0.0.1:")

    trusted = CodeEngineClient(running.url, DEVELOPER_TOKEN, ca_bundle=str(ca_bundle))
    assert trusted.check_token()["displayName"] == "Demo Developer"

    with pytest.raises(UnreachableError, match="CERTIFICATE_VERIFY_FAILED") as untrusted:
        CodeEngineClient(running.url, DEVELOPER_TOKEN).check_token()
    assert not untrusted.value.may_try_again, "waiting does not mend a certificate"


def test_the_local_authority_is_made_once_and_kept(tmp_path):
    _context, first = emulator_tls(tmp_path)
    pem = first.read_bytes()
    _context, second = emulator_tls(tmp_path)

    assert second == first and second.read_bytes() == pem


def test_sleep_for_takes_fractions_of_a_second(emulator):
    client = CodeEngineClient(emulator.url, DEVELOPER_TOKEN)

    execution = client.run_function(
        DEMO_PACKAGE_ID, LATEST_DEMO_VERSION, "sleepFor", {"seconds": 0.2}
    )

    assert execution.result == "Slept 0.2 seconds"


def test_a_kept_alive_connection_is_counted_once_and_repeated_runs_are_counted():
    with (
        CodeEngineEmulator(EMULATOR_USERS).start() as running,
        httpx.Client(
            base_url=running.url, headers={"X-DOMO-Developer-Token": DEVELOPER_TOKEN}
        ) as http,
    ):
        for name in ("Ada", "Grace", "Ada"):
            body = {"inputVariables": {"name": name}, "settings": {"getLogs": False}}
            http.post(f"{RUN_PATH}/functions/greet", json=body).raise_for_status()
        stats = http.get("/_emulator/stats").json()

    assert stats == {
        "connections_opened": 1,
        "runs_received": 3,
        "repeated_runs": 1,
        "rate_limited_runs": 0,
    }


def test_latency_is_paid_each_way_and_once_more_for_a_new_connection():
    latency = 0.05
    emulator = CodeEngineEmulator(EMULATOR_USERS, latency_seconds=latency)
    with emulator.start() as running, httpx.Client(base_url=running.url) as http:
        started = time.perf_counter()
        http.get("/_emulator/stats")
        first = time.perf_counter() - started
        started = time.perf_counter()
        http.get("/_emulator/stats")
        kept_alive = time.perf_counter() - started

    assert first >= 4 * latency  # a round trip to connect, then the request and its answer
    assert kept_alive >= 2 * latency


def test_an_answer_is_written_in_one_piece():
    """Headers and body in one write: a kept-alive client never waits on a delayed ACK."""
    with CodeEngineEmulator(EMULATOR_USERS).start() as running:
        port = int(running.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            for _ in range(2):
                raw.sendall(b"GET /_emulator/stats HTTP/1.1\r\nHost: emulator\r\n\r\n")
                received = raw.recv(65536)
                head, _, body = received.partition(b"\r\n\r\n")
                length = int(
                    next(
                        line.split(b":")[1]
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    )
                )
                assert head.startswith(b"HTTP/1.1 200 OK") and len(body) == length


def test_the_rate_limit_is_set_over_http_and_refuses_without_running(emulator):
    with httpx.Client(base_url=emulator.url) as http:
        set_up = http.post("/_emulator/rate-limit", json={"runs": 2, "retry_after": 3})
        assert set_up.status_code == 200
        headers = {"X-DOMO-Developer-Token": DEVELOPER_TOKEN}
        replies = [
            http.post(f"{RUN_PATH}/functions/greet", json={"inputVariables": {}}, headers=headers)
            for _ in range(3)
        ]

    assert [reply.status_code for reply in replies] == [429, 429, 200]
    assert replies[0].headers["retry-after"] == "3"
    assert emulator.server.emulator.stats()["rate_limited_runs"] >= 2
