"""The home page as its users see it: every card, the chart, the lists, the first steps."""

import re
from datetime import timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from codeengine_ui.catalog.models import Function
from codeengine_ui.runs.models import ExecutionStatus
from tests.conftest import make_token, user_with_role

from .conftest import NOW

NEW_YORK_COOKIE = {"console_tz": "America%2FNew_York"}  # as the browser writes it


@pytest.fixture
def at_now(member_client):
    """The member's browser is in New York, and it is NOW."""
    member_client.cookies.load(NEW_YORK_COOKIE)
    with mock.patch.object(timezone, "now", return_value=NOW):
        yield member_client


def _stat(html: str, label: str) -> tuple[str, str]:
    """(value, detail) of the card titled `label`, as text."""
    card = re.search(rf"<dt>{re.escape(label)}</dt>(.*?)</div>", html, re.S)
    assert card, f"no card {label!r}"
    cells = re.findall(r"<dd[^>]*>(.*?)</dd>", card.group(1), re.S)
    return tuple(" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in cells[:2])


def test_cards_show_the_exact_figures(at_now, week_of_runs):
    html = at_now.get("/").content.decode()

    assert _stat(html, "Runs today") == ("4", "since 00:00")
    assert _stat(html, "Runs this week") == ("6", "since Monday")
    assert _stat(html, "Failure rate") == ("44.4%", "4 of 9 finished runs, last 7 days")
    assert _stat(html, "Median duration") == ("1.5 s", "of 9 runs, last 7 days")
    assert _stat(html, "p95 duration")[0] == "1 min 0 s"
    assert _stat(html, "In flight now")[0] == "1"


def test_cards_link_to_the_runs_they_count(at_now, week_of_runs):
    html = at_now.get("/").content.decode()
    today_link = re.search(r"<dt>Runs today</dt>.*?href=\"([^\"]+)\"", html, re.S).group(1)
    failures_link = re.search(r"<dt>Failure rate</dt>.*?href=\"([^\"]+)\"", html, re.S).group(1)

    today = at_now.get(today_link.replace("&amp;", "&")).context["rows"]
    failures = at_now.get(failures_link.replace("&amp;", "&")).context["rows"]

    assert len(today) == 4
    assert {execution.pk for execution, _ in failures} == {
        week_of_runs[name].pk
        for name in ("today_1015", "tuesday_late", "sunday_before_clock_change", "saturday")
    }


def test_chart_bars_link_to_their_runs_in_the_history(at_now, week_of_runs):
    html = at_now.get("/").content.decode()
    segments = re.findall(r'<a href="([^"]+)" tabindex="-1"><title>([^<]+)</title>', html)
    by_title = {title: href.replace("&amp;", "&") for href, title in segments}

    assert set(by_title) == {
        "Thu 5 Mar: 1 success",
        "Sat 7 Mar: 1 call error",
        "Sun 8 Mar: 1 success",
        "Sun 8 Mar: 1 domo failure",
        "Mon 9 Mar: 1 success",
        "Tue 10 Mar: 1 call error",
        "Wed 11 Mar: 2 success",
        "Wed 11 Mar: 1 domo failure",
    }
    sunday_failures = at_now.get(by_title["Sun 8 Mar: 1 domo failure"]).context["rows"]
    assert [e.pk for e, _ in sunday_failures] == [week_of_runs["sunday_before_clock_change"].pk]
    wednesday = at_now.get(by_title["Wed 11 Mar: 2 success"]).context["rows"]
    assert {e.pk for e, _ in wednesday} == {
        week_of_runs["today_0900"].pk,
        week_of_runs["today_midnight"].pk,
    }


def test_chart_has_a_title_and_a_table(at_now, week_of_runs):
    html = at_now.get("/").content.decode()

    assert (
        '<title id="runs-chart-svg-title">Runs per day by outcome: 10 in all, last 7 days' in html
    )
    row = re.search(r"<th scope=\"row\">Sun 8 Mar</th>(.*?)</tr>", html, re.S).group(1)
    assert [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td>(.*?)</td>", row)] == [
        "1", "1", "0", "2",
    ]  # fmt: skip


def test_chart_range_switches_in_place(at_now, week_of_runs):
    response = at_now.get("/?range=30d", headers={"HX-Request": "true", "HX-Target": "runs-chart"})
    html = response.content.decode()

    assert html.lstrip().startswith('<section class="card" id="runs-chart"')
    assert "Runs per day by outcome: 11 in all, last 30 days" in html
    assert "Runs today" not in html
    hourly = at_now.get("/?range=24h").content.decode()
    assert "Runs per hour by outcome: 5 in all, last 24 hours" in hourly
    assert 'aria-current="true">24h</a>' in hourly
    assert 'aria-current="true">7d</a>' in at_now.get("/?range=nonsense").content.decode()


def test_in_flight_card_updates_itself(at_now, week_of_runs):
    html = at_now.get("/home/in-flight/").content.decode()

    assert 'hx-get="/home/in-flight/?seen=1" hx-trigger="load, live-resume"' in html
    assert _stat(html, "In flight now")[0] == "1"


def test_my_recent_runs_and_recently_failed(at_now, week_of_runs, record_run, django_user_model):
    someone_else = user_with_role(django_user_model, "grace", "member")
    theirs = record_run(
        NOW - timedelta(minutes=5), ExecutionStatus.OUTPUT_UNDEFINED, 1, user=someone_else
    )
    html = at_now.get("/").content.decode()

    mine = re.search(r"My recent runs</h2>(.*?)</section>", html, re.S).group(1)
    failed = re.search(r"Recently failed</h2>(.*?)</section>", html, re.S).group(1)
    newest_mine = sorted((e.pk for e in week_of_runs.values()), reverse=True)[:8]
    assert [int(pk) for pk in re.findall(r"/executions/(\d+)/", mine)] == newest_mine
    assert [int(pk) for pk in re.findall(r"/executions/(\d+)/", failed)] == [
        theirs.pk,
        week_of_runs["saturday"].pk,
        week_of_runs["sunday_before_clock_change"].pk,
        week_of_runs["tuesday_late"].pk,
        week_of_runs["today_1015"].pk,
    ]


def test_tokens_needing_attention_are_for_admins(
    admin_client, member, instance, greet, developer_token
):
    today = timezone.localdate()
    failing = make_token(instance, "Failing", "failing-token-000000000000000000")
    failing.last_check_ok = False
    failing.save()
    expiring = make_token(instance, "Expiring", "expiring-token-00000000000000000")
    expiring.expires_on = today + timedelta(days=3)
    expiring.save()
    expired = make_token(instance, "Expired", "expired-token-000000000000000000")
    expired.expires_on = today - timedelta(days=1)
    expired.save()
    disabled = make_token(instance, "Disabled", "disabled-token-00000000000000000")
    disabled.is_active, disabled.last_check_ok = False, False
    disabled.save()
    later = make_token(instance, "Later", "later-token-000000000000000000000")
    later.expires_on = today + timedelta(days=60)
    later.save()

    html = admin_client.get("/").content.decode()

    assert _stat(html, "Tokens needing attention")[0] == "3"
    card = re.search(r"<dt>Tokens needing attention</dt>(.*?)</div>", html, re.S).group(1)
    listed = re.findall(
        r">(\w+)</a> \(Emulator\):\s*([^<]+?)\.\s*<a href=\"/tokens/\d+/impact/\">Breaks", card
    )
    assert [(label, " ".join(why.split())) for label, why in listed] == [
        ("Expired", f"expired {expired.expires_on:%-d %b}"),
        ("Expiring", f"expires {expiring.expires_on:%-d %b}"),
        ("Failing", "last check failed"),
    ]
    admin_client.force_login(member)
    assert "Tokens needing attention" not in admin_client.get("/").content.decode()


def test_functions_pinned_to_an_older_version(member_client, greet, instance, developer_token):
    Function.objects.filter(pk=greet.pk).update(
        version="1.0.0", newest_version="1.1.0", newest_version_token=developer_token
    )
    html = member_client.get("/").content.decode()

    assert _stat(html, "Older pinned versions")[0] == "1"
    assert f'<a href="/functions/{greet.pk}/run/">Greet someone</a>: 1.0.0, 1.1.0 released' in html
    Function.objects.filter(pk=greet.pk).update(version="1.1.0")
    assert _stat(member_client.get("/").content.decode(), "Older pinned versions")[0] == "0"


def test_a_quiet_week_says_so(member_client, greet):
    html = member_client.get("/").content.decode()

    assert _stat(html, "Failure rate") == ("—", "no finished runs in the last 7 days")
    assert _stat(html, "Median duration") == ("—", "no timed runs in the last 7 days")
    assert "No runs in the last 7 days." in html
    assert "You have not run anything yet." in html
    assert "No failed runs." in html


def test_a_new_install_explains_the_first_steps(client, admin_user, django_user_model, db):
    client.force_login(admin_user)
    html = client.get("/").content.decode()

    assert "Getting started" in html
    for link in ('href="/instances/add/"', 'href="/tokens/add/"', 'href="/functions/import/"'):
        assert link in html

    member = user_with_role(django_user_model, "newcomer", "member")
    client.force_login(member)
    html = client.get("/").content.decode()
    assert "An admin adds the Domo instance your functions live on: ask one." in html
    assert 'href="/instances/add/"' not in html
    assert 'href="/functions/import/"' in html


def test_first_steps_tick_what_is_done(admin_client, instance, developer_token):
    html = admin_client.get("/").content.decode()

    assert html.count('class="done"') == 2  # an instance and a token; no function yet


def test_a_user_without_a_role_is_told_whom_to_ask(client, django_user_model, greet):
    client.force_login(django_user_model.objects.create_user("nobody", password="nobody-pw"))
    response = client.get("/")

    assert response.status_code == 200
    assert "Your account has no role in the console yet" in response.content.decode()


def test_times_follow_the_viewers_time_zone(member_client, record_run):
    run = record_run(timezone.now() - timedelta(minutes=3), ExecutionStatus.SUCCESS, 1)
    utc = member_client.get(f"/executions/{run.pk}/").content.decode()
    member_client.cookies.load({"console_tz": "Asia%2FKolkata"})
    kolkata = member_client.get(f"/executions/{run.pk}/").content.decode()
    member_client.cookies.load({"console_tz": "Not/AZone"})
    unknown = member_client.get(f"/executions/{run.pk}/").content.decode()

    local = timezone.localtime(run.queued_at, timezone=ZoneInfo("Asia/Kolkata"))
    assert f"{local:%Y-%m-%d %H:%M:%S}" in kolkata and " IST" in kolkata
    assert " IST" not in utc and " UTC" in utc
    assert " IST" not in unknown and " UTC" in unknown
