"""Webhooks go only where MONITOR_WEBHOOK_HOSTS says, and end within one deadline.

A host listed alone is called over HTTPS on its default port only; `host:port` allows that
port, over HTTP or HTTPS. A bad address is refused where it is entered: the monitor's
webhook field, and ADMIN_WEBHOOK_URL at start-up (a system check). The call has one
deadline for all of it (connect, send, the whole reply), however slowly the host drips
its answer, and a slow webhook never holds up the worker's heartbeat, which runs the
monitors."""

import socket
import threading
import time

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from codeengine_ui import notifications
from codeengine_ui.notifications import post_webhook, webhook_refusal
from codeengine_ui.runs.models import WorkerHeartbeat
from codeengine_ui.runs.worker import RunWorker
from codeengine_ui.suites.models import Suite
from tests.runs.conftest import DATABASE_TASKS
from tests.suites.test_monitors import Receiver


@pytest.mark.parametrize(
    ("url", "refused_because"),
    [
        ("https://hooks.slack.com/services/x", ""),
        ("https://hooks.slack.com:443/services/x", ""),
        ("http://hooks.slack.com/services/x", "Use https://"),
        ("https://hooks.slack.com:22/services/x", "only on port 443"),
        ("http://hooks.slack.com:443/services/x", "Use https://"),
        ("https://hooks.slack.com.evil.example/x", "is not in MONITOR_WEBHOOK_HOSTS"),
        ("ftp://hooks.slack.com/x", "Use https://"),
        ("http://127.0.0.1:8080/hook", ""),
        ("https://127.0.0.1:8080/hook", ""),
        ("http://127.0.0.1:8081/hook", "only on port 8080"),
        ("http://127.0.0.1/hook", "only on port 8080"),
    ],
)
def test_a_host_listed_alone_takes_https_on_443_and_a_listed_port_takes_that_port(
    settings, url, refused_because
):
    settings.MONITOR_WEBHOOK_HOSTS = ["hooks.slack.com", "127.0.0.1:8080"]
    refusal = webhook_refusal(url)
    if refused_because:
        assert refused_because in refusal
    else:
        assert refusal == ""


@pytest.mark.django_db
def test_the_monitor_form_refuses_another_port_at_the_field(member_client, settings, member):
    settings.MONITOR_WEBHOOK_HOSTS = ["hooks.slack.com"]
    suite = Suite.objects.create(name="Greetings", created_by=member)

    page = member_client.post(
        f"/suites/{suite.pk}/monitor/",
        {"monitor-schedule": "minutes", "monitor-every_minutes": "60",
         "monitor-time_zone": "UTC", "monitor-notify_emails": "",
         "monitor-webhook_url": "https://hooks.slack.com:22/x"},
    ).content.decode()  # fmt: skip

    assert "hooks.slack.com is called only on port 443" in page
    suite.refresh_from_db()
    assert suite.webhook_url == ""


@pytest.mark.django_db  # the checks of JSON fields ask the database what it supports
@pytest.mark.parametrize(
    "url", ["http://hooks.slack.com/x", "https://hooks.slack.com:22/x", "https://evil.example/x"]
)
def test_an_admin_webhook_the_console_would_not_call_stops_the_start(settings, url):
    settings.MONITOR_WEBHOOK_HOSTS = ["hooks.slack.com"]
    settings.ADMIN_WEBHOOK_URL = url

    with pytest.raises(SystemCheckError, match="ADMIN_WEBHOOK_URL"):
        call_command("check")


@pytest.mark.django_db
def test_an_admin_webhook_the_console_may_call_passes_the_checks(settings):
    settings.MONITOR_WEBHOOK_HOSTS = ["hooks.slack.com"]
    settings.ADMIN_WEBHOOK_URL = "https://hooks.slack.com/services/x"
    call_command("check")


def _drip(head_first: bool, every: float, count: int = 40):
    """A host that answers one byte at a time: its head whole then the body, or the head
    itself byte by byte."""

    def behaviour(connection: socket.socket) -> None:
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {count}\r\n\r\n".encode()
        if head_first:
            connection.sendall(head)
            dripped = b"x" * count
        else:
            dripped = head + b"x" * count
        for byte in dripped:
            connection.sendall(bytes([byte]))
            time.sleep(every)

    return behaviour


@pytest.mark.parametrize("head_first", [True, False], ids=["body dripped", "head dripped"])
def test_a_host_that_drips_its_answer_is_left_at_the_deadline(
    settings, raw_server, monkeypatch, head_first
):
    """Each byte comes well within the time allowed for one read: only a deadline over the
    whole call ends it."""
    monkeypatch.setattr(notifications, "WEBHOOK_DEADLINE_SECONDS", 1.5)
    server = raw_server(_drip(head_first, every=0.25))
    settings.MONITOR_WEBHOOK_HOSTS = [server.url.removeprefix("http://")]

    started = time.monotonic()
    delivered = post_webhook(f"{server.url}/hook", "Monitor failing")

    assert time.monotonic() - started < 2.5
    assert delivered is False


def _slow_monitors() -> None:
    """Stands for run_due_monitors posting to a webhook that drips its answer."""
    post_webhook(_slow_monitors.url, "Monitor failing")


@pytest.mark.django_db(transaction=True)
def test_a_slow_webhook_never_holds_up_the_workers_heartbeat(settings, raw_server, monkeypatch):
    """Other workers count a worker silent for RUN_WORKER_STALE_SECONDS as dead and end its
    runs: a monitor's webhook, run at each beat, must not silence it."""
    monkeypatch.setattr(notifications, "WEBHOOK_DEADLINE_SECONDS", 6)
    server = raw_server(_drip(True, every=0.5))
    settings.MONITOR_WEBHOOK_HOSTS = [server.url.removeprefix("http://")]
    _slow_monitors.url = f"{server.url}/hook"
    settings.TASKS = DATABASE_TASKS
    settings.RUN_WORKER_JOBS = [f"{__name__}._slow_monitors"]
    worker = RunWorker(poll_interval=0.02, concurrency=4)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        silences, until = [], time.monotonic() + 8
        while time.monotonic() < until:
            seen = WorkerHeartbeat.objects.filter(worker_id=worker.worker_id).first()
            if seen is not None:
                silences.append(time.time() - seen.last_seen_at.timestamp())
            time.sleep(0.2)
    finally:
        worker.stop()
        thread.join(15)
    assert silences and max(silences) < 4, f"the heartbeat stopped for {max(silences):.1f} s"


def test_an_international_name_idna_refuses_is_not_a_web_address(settings):
    settings.MONITOR_WEBHOOK_HOSTS = ["hooks.slack.com"]

    assert webhook_refusal("https://xn--zz.example.com/hook") == "This is not a web address."


def test_markup_in_a_message_is_shown_never_acted_on(settings):
    receiver = Receiver()
    settings.MONITOR_WEBHOOK_HOSTS = [f"127.0.0.1:{receiver.port}"]

    post_webhook(
        f"http://127.0.0.1:{receiver.port}/hook",
        "Monitor “<!channel> <https://evil.example|sign in>” & co",
    )

    assert receiver.bodies == [
        {"text": "Monitor “&lt;!channel&gt; &lt;https://evil.example|sign in&gt;” &amp; co"}
    ]


@pytest.mark.django_db
def test_a_monitor_names_at_most_20_addresses(member_client, greet):
    suite = Suite.objects.create(name="Nightly")
    addresses = ", ".join(f"person{index}@example.com" for index in range(21))

    response = member_client.post(
        f"/suites/{suite.pk}/monitor/",
        {"monitor-schedule": "", "monitor-every_minutes": "60", "monitor-time_zone": "UTC",
         "monitor-notify_emails": addresses, "monitor-webhook_url": ""},
    )  # fmt: skip

    assert "Name at most 20 addresses" in response.content.decode()
    assert Suite.objects.get().notify_emails == ""


def test_an_address_with_invisible_characters_is_refused(settings):
    settings.MONITOR_WEBHOOK_HOSTS = ["hooks.slack.com"]

    assert webhook_refusal("https://hooks.slack.com/\u202ex").startswith("This is not a web")
