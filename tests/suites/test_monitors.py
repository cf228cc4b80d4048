"""Monitors: suites on a schedule, across daylight saving; a missed slot runs once; the
team hears about a failure and a recovery, not about every failing run."""

import json
import socket
import threading
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise

import pytest
from django.core import mail

from codeengine_ui.access.audit import acting_as
from codeengine_ui.notifications import post_webhook
from codeengine_ui.suites.judging import judge_finished_cases
from codeengine_ui.suites.models import Case, Suite, SuiteRun
from codeengine_ui.suites.monitors import next_slot, run_due_monitors
from tests.conftest import save_demo_function


def _suite(**schedule) -> Suite:
    return Suite(name="s", **schedule)


def _utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        # Paris: 09:00 is 08:00 UTC in winter, 07:00 UTC in summer.
        (_utc(2026, 3, 28, 9, 0), _utc(2026, 3, 29, 7, 0)),  # the spring-forward day
        (_utc(2026, 10, 24, 9, 0), _utc(2026, 10, 25, 8, 0)),  # the fall-back day
        (_utc(2026, 11, 26, 7, 59), _utc(2026, 11, 26, 8, 0)),
    ],
)
def test_daily_slots_keep_their_local_time_across_daylight_saving(after, expected):
    suite = _suite(schedule="daily", at_time=time(9, 0), time_zone="Europe/Paris")
    assert next_slot(suite, after) == expected


def test_a_time_skipped_by_daylight_saving_runs_once_that_day():
    suite = _suite(schedule="daily", at_time=time(2, 30), time_zone="Europe/Paris")
    slot = next_slot(suite, _utc(2026, 3, 28, 12, 0))
    assert slot.date().isoformat() == "2026-03-29"
    assert next_slot(suite, slot).date().isoformat() == "2026-03-30"


def test_hourly_slots_are_every_real_hour_across_daylight_saving():
    suite = _suite(schedule="hourly", at_time=time(0, 15), time_zone="Europe/Paris")
    slots, moment = [], _utc(2026, 10, 24, 23, 0)
    for _ in range(4):
        moment = next_slot(suite, moment)
        slots.append(moment)
    assert [b - a for a, b in pairwise(slots)] == [timedelta(hours=1)] * 3


@pytest.fixture
def monitor(db, instance, developer_token, member):
    greet = save_demo_function(instance, developer_token, "greet")
    case = Case.objects.create(
        function=greet, name="greets Ada", input_variables={"name": "Ada"},
        expectations=[{"kind": "path", "path": "$", "equals": "Hello, Ada."}],
    )  # fmt: skip
    with acting_as(member):
        suite = Suite.objects.create(
            name="Greetings", schedule="minutes", every_minutes=5,
            notify_emails="team@example.com",
        )  # fmt: skip
        suite.cases.add(case)
    return suite


def _slot_runs() -> None:
    """A slot comes: the monitor's runs start (the tests' task backend runs each case as
    it is queued), then a worker judges them."""
    run_due_monitors()
    judge_finished_cases()


@pytest.mark.django_db
def test_slots_missed_while_no_worker_ran_run_once(monitor):
    now = _utc(2026, 11, 26, 12, 0)
    monitor.next_run_at = now - timedelta(hours=3)  # 36 slots missed
    monitor.save()

    assert run_due_monitors(now) == 1
    assert run_due_monitors(now) == 0
    monitor.refresh_from_db()
    assert monitor.next_run_at == now + timedelta(minutes=5)
    assert SuiteRun.objects.filter(suite=monitor, scheduled=True).count() == 1


@pytest.mark.django_db
def test_the_team_hears_of_a_failure_and_a_recovery_not_of_each_failing_run(monitor):
    """The immediate task backend of the tests runs each case as it is queued."""
    case = monitor.cases.get()

    def slot(expected: str) -> None:
        case.expectations = [{"kind": "path", "path": "$", "equals": expected}]
        with acting_as(monitor.changed_by):
            case.save()
        Suite.objects.filter(pk=monitor.pk).update(next_run_at=_utc(2020, 1, 1))
        _slot_runs()

    slot("Hello, Ada.")
    assert mail.outbox == [], "a first pass is no news"
    slot("Goodbye")
    assert [m.subject for m in mail.outbox] == [
        "[Code Engine Console] Monitor “Greetings” is failing"
    ]
    assert "1 of 1 cases (greets Ada)" in mail.outbox[0].body
    slot("Goodbye")
    assert len(mail.outbox) == 1, "still failing: no new message"
    slot("Hello, Ada.")
    assert mail.outbox[-1].subject == "[Code Engine Console] Monitor “Greetings” has recovered"
    assert len(mail.outbox) == 2


class Receiver:
    """A loopback HTTP server that records the JSON posted to it."""

    def __init__(self, status: str = "200 OK"):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.bodies: list[dict] = []
        self.status = status
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            connection, _ = self.server.accept()
            with connection:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += connection.recv(65536)
                head, body = data.split(b"\r\n\r\n", 1)
                length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                                  if line.lower().startswith(b"content-length")))  # fmt: skip
                while len(body) < length:
                    body += connection.recv(65536)
                self.bodies.append(json.loads(body))
                connection.sendall(
                    f"HTTP/1.1 {self.status}\r\nContent-Length: 2\r\n\r\nok".encode()
                )


def test_a_webhook_gets_a_slack_and_teams_compatible_message(settings):
    receiver = Receiver()
    settings.MONITOR_WEBHOOK_HOSTS = [f"127.0.0.1:{receiver.port}"]

    assert post_webhook(f"http://127.0.0.1:{receiver.port}/hook", "Monitor failing") is True
    assert receiver.bodies == [{"text": "Monitor failing"}]


def test_a_webhook_host_not_allowed_is_never_called(settings):
    receiver = Receiver()
    settings.MONITOR_WEBHOOK_HOSTS = ["hooks.slack.com"]

    assert post_webhook(f"http://127.0.0.1:{receiver.port}/hook", "x") is False
    assert post_webhook("https://user:pw@hooks.slack.com/x", "x") is False
    assert receiver.bodies == []


def test_a_webhook_redirect_is_not_followed(settings):
    receiver = Receiver(status="302 Found\r\nLocation: http://169.254.169.254/")
    settings.MONITOR_WEBHOOK_HOSTS = [f"127.0.0.1:{receiver.port}"]

    assert post_webhook(f"http://127.0.0.1:{receiver.port}/hook", "x") is False
    assert len(receiver.bodies) == 1


@pytest.mark.django_db
def test_a_schedule_is_set_from_the_suite_page_and_bad_values_are_named(member_client, monitor):
    page = member_client.post(
        f"/suites/{monitor.pk}/monitor/",
        {"monitor-schedule": "daily", "monitor-every_minutes": "60", "monitor-at_time": "",
         "monitor-time_zone": "Mars/Olympus", "monitor-notify_emails": "not an address",
         "monitor-webhook_url": "https://evil.example.com/x"},
    ).content.decode()  # fmt: skip
    assert "Give the time it runs at." in page
    assert "Mars/Olympus is not a time zone name." in page
    assert "Enter a valid email address." in page
    assert "evil.example.com is not in MONITOR_WEBHOOK_HOSTS" in page

    member_client.post(
        f"/suites/{monitor.pk}/monitor/",
        {"monitor-schedule": "daily", "monitor-every_minutes": "60", "monitor-at_time": "09:00",
         "monitor-time_zone": "Europe/Paris", "monitor-notify_emails": "",
         "monitor-webhook_url": ""},
    )  # fmt: skip
    monitor.refresh_from_db()
    assert monitor.next_run_at is not None and monitor.schedule == "daily"


@pytest.mark.django_db
def test_the_home_page_shows_monitors_failing_first(client, monitor, member):
    case = monitor.cases.get()
    case.expectations = [{"kind": "path", "path": "$", "equals": "Goodbye"}]
    with acting_as(member):
        case.save()
    Suite.objects.filter(pk=monitor.pk).update(next_run_at=_utc(2020, 1, 1))
    _slot_runs()
    client.force_login(member)

    home = client.get("/").content.decode()

    assert 'id="monitors-title">Monitors</h2>' in home
    assert "Greetings</a>" in home and "Failing now" in home


@pytest.mark.django_db
def test_a_suite_runs_by_itself_on_a_new_release_and_the_function_page_says_how_it_did(
    member_client, instance, developer_token, member
):
    from codeengine_ui.catalog.importing import check_newest_versions

    old = save_demo_function(instance, developer_token, "greet", version="1.0.0")
    case = Case.objects.create(
        function=old, name="greets Ada", input_variables={"name": "Ada"},
        expectations=[{"kind": "path", "path": "$", "equals": "Hello, Ada"}],
    )  # fmt: skip
    with acting_as(member):
        suite = Suite.objects.create(name="Greetings", run_on_new_version=True)
        suite.cases.add(case)

    check_newest_versions()
    check_newest_versions()  # the same release found again: no second run
    judge_finished_cases()

    [suite_run] = SuiteRun.objects.filter(suite=suite)
    assert suite_run.version == "1.2.0"
    page = member_client.get(f"/functions/{old.pk}/run/").content.decode()
    assert "1.2.0: 1 regression</a>" in page, "1.2.0 says Hi, not Hello"


@pytest.mark.django_db
def test_a_failing_monitor_posts_to_its_webhook_once(monitor, settings):
    receiver = Receiver()
    settings.MONITOR_WEBHOOK_HOSTS = [f"127.0.0.1:{receiver.port}"]
    Suite.objects.filter(pk=monitor.pk).update(
        webhook_url=f"http://127.0.0.1:{receiver.port}/hook", notify_emails=""
    )
    case = monitor.cases.get()
    case.expectations = [{"kind": "path", "path": "$", "equals": "Goodbye"}]
    with acting_as(monitor.changed_by):
        case.save()
    for _ in range(2):  # two failing slots: one message
        Suite.objects.filter(pk=monitor.pk).update(next_run_at=_utc(2020, 1, 1))
        _slot_runs()

    assert len(receiver.bodies) == 1
    assert receiver.bodies[0]["text"].startswith("Monitor “Greetings” is failing: 1 of 1 cases")
