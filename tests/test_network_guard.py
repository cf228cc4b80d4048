import socket

import pytest

from codeengine_ui.domo.client import CodeEngineClient
from tests import conftest


def test_connecting_outside_loopback_fails_loudly():
    with pytest.raises(conftest.InternetBlockedError):
        socket.create_connection(("93.184.215.14", 443), timeout=1)

    assert conftest._blocked_connections == ["93.184.215.14:443"]
    conftest._blocked_connections.clear()


def test_client_call_to_a_real_domo_instance_is_blocked(monkeypatch):
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda *args, **kwargs: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("203.0.113.7", 443))],
    )

    with pytest.raises((conftest.InternetBlockedError, ExceptionGroup)):
        CodeEngineClient("https://acme.domo.com", "some-token-123456789").check_token()

    assert conftest._blocked_connections == ["203.0.113.7:443"]
    conftest._blocked_connections.clear()
