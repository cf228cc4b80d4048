"""seed_demo ends with the admin's login in a box: the one-time password when it made one,
otherwise how to reset it, so `make run` never buries it."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from tests.conftest import ANALYST_TOKEN, DEVELOPER_TOKEN

pytestmark = pytest.mark.django_db
URL = "http://127.0.0.1:8123/"


@pytest.fixture(autouse=True)
def demo_settings(settings, emulator, monkeypatch):
    settings.CODEENGINE_EMULATOR_URL = emulator.url
    settings.CODEENGINE_EMULATOR_TOKEN = DEVELOPER_TOKEN
    settings.CODEENGINE_EMULATOR_LIMITED_TOKEN = ANALYST_TOKEN
    monkeypatch.delenv("DEMO_ADMIN_PASSWORD", raising=False)


def _seed(**options) -> list[str]:
    """What seed_demo printed, as lines, trailing blank lines dropped."""
    output = StringIO()
    call_command("seed_demo", "--no-history", stdout=output, **options)
    return output.getvalue().rstrip().splitlines()


def _box(lines: list[str]) -> list[str]:
    rule = lines[-1]
    assert set(rule[1:-1]) == {"-"} and rule[0] == rule[-1] == "+", lines
    top = lines.index(rule)
    assert top < len(lines) - 1
    inside = lines[top + 1 : -1]
    assert all(line.startswith("|  ") and line.endswith("  |") for line in inside), inside
    assert len({len(line) for line in [rule, *inside]}) == 1, "the frame is not straight"
    return [line[3:-3].rstrip() for line in inside if line.strip("| ")]


def test_a_new_admin_gets_a_password_shown_once_in_the_box_that_ends_the_output():
    box = _box(_seed(url=URL))

    assert box[0] == f"Open      {URL}"
    assert box[1] == "User      admin"
    password = box[2].removeprefix("Password  ").removesuffix("   (shown only this once)")
    assert get_user_model().objects.get(username="admin").check_password(password)
    assert box[3] == "Change it .venv/bin/python manage.py changepassword admin"


def test_an_existing_admin_is_told_how_to_reset_the_password():
    _seed()

    again = _seed(url=URL)

    box = _box(again)
    assert box[2] == "Password  the one shown when the user was created; to reset it:"
    assert box[3] == "          .venv/bin/python manage.py changepassword admin"
    assert "Password  " not in "\n".join(again[: again.index(again[-1])])  # no stray copy


def test_a_chosen_password_is_not_printed(monkeypatch):
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "chosen-password-123")

    lines = _seed()

    assert _box(lines) == ["User      admin", "Password  the one in DEMO_ADMIN_PASSWORD"]
    assert "chosen-password-123" not in "\n".join(lines)


def test_quiet_still_shows_the_login_and_nothing_else():
    lines = _seed(verbosity=0)

    assert not [line for line in lines if line and not line.startswith(("+", "|"))]
    assert _box(lines)[0] == "User      admin" and len(_box(lines)) == 3
