from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from codeengine_ui.runs.models import Execution, ExecutionStatus
from tests.conftest import stored_run

NEW_YORK = ZoneInfo("America/New_York")
# A Wednesday, three days after New York moved its clocks forward (Sunday 8 March, 02:00).
NOW = datetime(2026, 3, 11, 15, 30, tzinfo=NEW_YORK)


def new_york(day: int, hour: int, minute: int = 0, second: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=NEW_YORK)


@pytest.fixture
def record_run(greet, developer_token, member):
    """Stores a run of greet that was queued at `queued_at` and ended with `status`."""

    def record(queued_at, status, seconds=None, *, function=greet, user=member) -> Execution:
        return stored_run(
            function,
            developer_token,
            user,
            {"name": f"run at {queued_at:%d %H:%M}"},
            queued_at=queued_at,
            status=status,
            duration=None if seconds is None else timedelta(seconds=seconds),
        )

    return record


@pytest.fixture
def week_of_runs(record_run):
    """Runs around NOW, by name; the comments say which periods each belongs to."""
    s = ExecutionStatus
    return {
        "today_0900": record_run(new_york(11, 9), s.SUCCESS, 1),
        "today_1015": record_run(new_york(11, 10, 15), s.FAILED, 3),
        "today_running": record_run(new_york(11, 15, 10), s.RUNNING),
        "today_midnight": record_run(new_york(11, 0), s.SUCCESS, 2),
        "tuesday_late": record_run(new_york(10, 23, 59, 59), s.ERROR, 60),
        "monday": record_run(new_york(9, 0, 30), s.SUCCESS, 0.5),
        # Sunday 8 March lasted 23 hours.
        "sunday_late": record_run(new_york(8, 23, 30), s.SUCCESS, 0.25),
        "sunday_before_clock_change": record_run(new_york(8, 1, 30), s.RESULT_TYPE_FAILURE, 1.5),
        "saturday": record_run(new_york(7, 12), s.INTERRUPTED, 4),
        "thursday": record_run(new_york(5, 0, 10), s.SUCCESS, 0.75),  # first of the 7 days
        "wednesday_before": record_run(new_york(4, 23, 50), s.SUCCESS, 9),  # 30 days only
        "february": record_run(new_york(1, 12, month=2), s.SUCCESS, 1),  # older than 30 days
    }
