"""The secrets of an OAuth token request (the PKCE verifier, refresh tokens, client secrets
and assertions) never reach the web server's log, run as the Procfile runs it, whether a
client sends them in the body or, wrongly, in the address; the address's path and query
stay readable."""

import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from django.conf import settings

from tests.runs.conftest import child_process_environment

pytestmark = pytest.mark.django_db(transaction=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _procfile_web(port: int) -> list[str]:
    """The Procfile's web line on `port`, one process, without --reload."""
    line = next(
        line
        for line in (settings.BASE_DIR / "Procfile").read_text().splitlines()
        if line.startswith("web:")
    )
    words = shlex.split(line.removeprefix("web:").replace("$PORT", str(port)))
    words = [word for word in words if word != "--reload"]
    words[words.index("--workers") + 1] = "1"
    words[0] = str(Path(sys.executable).parent / words[0])
    return words


@pytest.fixture
def web(tmp_path):
    port = _free_port()
    log_path = tmp_path / "web.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            _procfile_web(port),
            cwd=settings.BASE_DIR,
            env=child_process_environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{base_url}/health/", timeout=2)
            break
        except httpx.TransportError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail(f"gunicorn did not answer:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)

    def stopped() -> str:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
        return log_path.read_text()

    yield base_url, stopped
    if process.poll() is None:
        process.kill()
        process.wait(10)


def test_no_secret_of_a_token_request_reaches_the_access_log(web):
    base_url, stopped = web
    names = ["code", "code_verifier", "refresh_token", "client_secret", "client_assertion",
             "assertion", "id_token", "password", "token", "access_token"]  # fmt: skip
    sent = {name: f"{name.upper()}{secrets.token_hex(8)}" for name in names}
    fields = {
        "grant_type": "authorization_code",
        "client_id": "visible-client",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        **sent,
    }

    in_the_address = httpx.get(f"{base_url}/oauth/token/?{urlencode(fields)}")
    in_the_body = httpx.post(f"{base_url}/oauth/token/", data=fields)
    in_both = httpx.post(f"{base_url}/oauth/token/?{urlencode(fields)}", data=fields)
    log = stopped()

    assert in_the_address.status_code == 405
    assert in_the_body.status_code in (400, 401)
    assert in_both.status_code in (400, 401)
    redacted = (
        "/oauth/token/?grant_type=authorization_code&client_id=visible-client"
        "&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
        + "".join(f"&{name}=[redacted]" for name in sent)
    )
    assert f"GET {redacted} HTTP/1.1 405 " in log
    assert f"POST {redacted} HTTP/1.1 " in log
    assert "POST /oauth/token/ HTTP/1.1 " in log
    leaked = [line for line in log.splitlines() if any(v in line for v in sent.values())]
    assert leaked == []
