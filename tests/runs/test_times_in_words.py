"""Times in words: past times read "5 minutes ago", times to come "in 4 minutes"."""

from datetime import UTC, datetime, timedelta

import pytest

from codeengine_ui.runs.templatetags.execution_display import relative_time, timestamp
from codeengine_ui.suites.models import Suite

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _spaced(text: str) -> str:
    """Numbers and units are held together by no-break spaces; the words are what count."""
    return text.replace("\xa0", " ")


@pytest.mark.parametrize(
    ("offset", "words"),
    [
        (timedelta(seconds=-20), "just now"),
        (timedelta(0), "just now"),
        (timedelta(minutes=-5), "5 minutes ago"),
        (timedelta(hours=-3, minutes=-10), "3 hours ago"),
        (timedelta(days=-2, hours=-5), "2 days ago"),
        (timedelta(seconds=20), "in less than a minute"),
        (timedelta(minutes=4, seconds=10), "in 4 minutes"),
        (timedelta(minutes=1), "in 1 minute"),
        (timedelta(hours=2, minutes=30), "in 2 hours"),
        (timedelta(days=3, hours=1), "in 3 days"),
    ],
)
def test_a_time_reads_as_its_distance_from_now(offset, words):
    assert _spaced(relative_time(NOW + offset, NOW)) == words


def test_a_time_to_come_is_never_just_now():
    shown = _spaced(timestamp(datetime.now(UTC) + timedelta(minutes=4, seconds=30)))

    assert ">in 4 minutes</time>" in shown
    assert "just now" not in shown


@pytest.mark.django_db
def test_a_monitor_page_says_when_its_next_run_is_due(admin_client):
    suite = Suite.objects.create(name="Greetings", schedule="minutes", every_minutes=10)
    Suite.objects.filter(pk=suite.pk).update(
        next_run_at=datetime.now(UTC) + timedelta(minutes=7, seconds=30)
    )

    page = _spaced(admin_client.get(f"/suites/{suite.pk}/").content.decode())

    assert "next run <time" in page
    assert ">in 7 minutes</time>" in page
