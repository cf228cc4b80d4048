"""Login throttling per username and per address, and the client's address behind proxies."""

import pytest
from django.test import RequestFactory

from codeengine_ui.access.addresses import client_address
from codeengine_ui.access.models import AuditAction, AuditEvent


def _fail(client, username: str, **meta):
    """A wrong password; `meta` sets REMOTE_ADDR or HTTP_X_FORWARDED_FOR."""
    return client.post("/accounts/login/", {"username": username, "password": "wrong"}, **meta)


def _log_in(client, **meta):
    client.post("/accounts/login/", {"username": "member", "password": "member-password"}, **meta)
    return "_auth_user_id" in client.session


def test_a_flood_of_usernames_is_one_audit_row_with_a_count(client, member, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 1000
    for number in range(30):
        _fail(client, f"guess-{number}")

    [burst] = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED)
    assert burst.repeated == 30
    assert burst.details["usernames"] == [f"guess-{number}" for number in range(20)]
    assert burst.ip_address == "127.0.0.1"


def test_an_address_that_tries_many_usernames_is_locked_out(client, member, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 10
    for number in range(10):
        _fail(client, f"guess-{number}")

    locked = client.post("/accounts/login/", {"username": "member", "password": "member-password"})

    assert "Too many failed logins" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED).repeated == 11


def test_another_address_is_not_locked_out(client, member, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 10
    for number in range(10):
        _fail(client, f"guess-{number}")

    assert _log_in(client, REMOTE_ADDR="198.51.100.7")


class TestBehindAProxy:
    """The README's deployment: gunicorn behind one reverse proxy."""

    PROXY = "10.0.0.2"

    @pytest.fixture(autouse=True)
    def one_proxy(self, settings):
        settings.TRUSTED_PROXY_COUNT = 1

    def _from(self, client_ip: str, spoofed: str = "") -> dict:
        forwarded = f"{spoofed}, {client_ip}" if spoofed else client_ip
        return {"REMOTE_ADDR": self.PROXY, "HTTP_X_FORWARDED_FOR": forwarded}

    def test_a_locked_out_client_does_not_lock_out_the_others(self, client, member):
        attacker = self._from("203.0.113.5")
        for _ in range(5):
            _fail(client, "member", **attacker)

        assert not _log_in(client, **attacker)
        assert _log_in(client, **self._from("198.51.100.7"))

    def test_the_audit_log_keeps_the_clients_address(self, client, member):
        _fail(client, "member", **self._from("203.0.113.5", spoofed="1.2.3.4"))

        event = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
        assert event.ip_address == "203.0.113.5"

    def test_a_spoofed_header_does_not_escape_the_lockout(self, client, member):
        for number in range(5):
            _fail(client, "member", **self._from("203.0.113.5", spoofed=f"192.0.2.{number}"))

        assert not _log_in(client, **self._from("203.0.113.5", spoofed="192.0.2.99"))


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.5", "10.0.0.2"),  # no trusted proxy: the header is ignored
        (1, "203.0.113.5", "203.0.113.5"),
        (1, "1.2.3.4, 203.0.113.5", "203.0.113.5"),  # the client wrote the left part
        (2, "1.2.3.4, 203.0.113.5, 10.0.0.9", "203.0.113.5"),
        (2, "203.0.113.5", "10.0.0.2"),  # fewer hops than proxies: not believed
        (1, "not-an-address", "10.0.0.2"),
        (1, "", "10.0.0.2"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_the_client_address_is_the_one_the_nearest_trusted_proxy_saw(
    settings, proxies, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)

    assert client_address(request) == expected


def test_the_audit_page_shows_a_burst_with_its_count(admin_client, client, member, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 1000
    for number in range(3):
        _fail(client, f"guess-{number}")

    html = admin_client.get("/audit/?action=login_failed").content.decode()

    assert "\u00d7 3, last" in html
