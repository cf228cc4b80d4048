"""The audit log's filters (action, person, target, dates) live in the address, combine,
and page like the history; htmx swaps keep the address in step."""

import re
from datetime import UTC, datetime

import pytest

from codeengine_ui.access.models import AuditAction, AuditEvent
from tests.conftest import user_with_role


@pytest.fixture
def team_admin(client, django_user_model):
    admin = user_with_role(django_user_model, "team-admin", "admin")
    client.force_login(admin)
    return admin


def _event(action, target, actor_name="", at=None, **details) -> AuditEvent:
    event = AuditEvent.objects.create(
        action=action, target=target, actor_name=actor_name, details=details
    )
    if at is not None:
        AuditEvent.objects.filter(pk=event.pk).update(at=at)
    return event


def _day(day: int) -> datetime:
    return datetime(2026, 3, day, 12, 0, tzinfo=UTC)


@pytest.fixture
def events(team_admin):
    AuditEvent.objects.all().delete()  # the admin's own creation is recorded too
    return {
        "ada_token": _event(AuditAction.TOKEN_CREATED, "Sales on Acme (••••1234)", "ada", _day(1)),
        "bob_token": _event(AuditAction.TOKEN_ROTATED, "Sales on Acme (••••9999)", "bob", _day(2)),
        "ada_user": _event(AuditAction.USER_CREATED, "user grace", "ada", _day(3)),
        "system": _event(AuditAction.RUNS_PRUNED, "12 runs queued before 2026-02-01", "", _day(4)),
        "login": _event(AuditAction.LOGIN_FAILED, "username 'root'", "", _day(5)),
    }


def _listed(client, query: str = "", **headers) -> list[int]:
    response = client.get(f"/audit/{query}", **headers)
    assert response.status_code == 200
    return [event.pk for event, _lines in response.context["rows"]]


def _ids(events, *names) -> list[int]:
    return [events[name].pk for name in names]


def test_every_event_newest_first_without_filters(client, events):
    assert _listed(client) == _ids(events, "login", "system", "ada_user", "bob_token", "ada_token")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?action=token_created", ["ada_token"]),
        ("?actor=ada", ["ada_user", "ada_token"]),
        ("?actor=%28system%29", ["login", "system"]),
        ("?actor=nobody", []),
        ("?target=sales+on", ["bob_token", "ada_token"]),
        ("?target=%E2%80%A29999", ["bob_token"]),
        ("?since=2026-03-03", ["login", "system", "ada_user"]),
        ("?until=2026-03-02", ["bob_token", "ada_token"]),
        ("?since=2026-03-02&until=2026-03-04", ["system", "ada_user", "bob_token"]),
        ("?actor=ada&target=acme", ["ada_token"]),
        ("?actor=ada&since=2026-03-02", ["ada_user"]),
        ("?action=token_rotated&actor=ada", []),
        (
            "?action=runs_pruned&actor=%28system%29&target=runs&since=2026-03-04&until=2026-03-04",
            ["system"],
        ),
    ],
)
def test_each_filter_and_their_combinations(client, events, query, expected):
    assert _listed(client, query) == _ids(events, *expected)


def test_dates_are_the_viewers_days(client, events):
    client.cookies["console_tz"] = "Pacific/Auckland"  # UTC+13 in March
    late = _event(AuditAction.TOKEN_DELETED, "x", at=datetime(2026, 3, 9, 12, 30, tzinfo=UTC))

    assert _listed(client, "?since=2026-03-10&until=2026-03-10") == [late.pk]


def test_a_bad_filter_is_told_by_its_field_and_the_others_still_apply(client, events):
    response = client.get("/audit/?actor=ada&since=2026-03-05&until=2026-03-01")
    html = response.content.decode()

    assert response.status_code == 200
    assert "The end date is before the start date." in html
    assert [e.pk for e, _ in response.context["rows"]] == _ids(events, "ada_user", "ada_token")


@pytest.mark.parametrize("query", ["?since=31-02-2026", "?until=9999-12-31", "?action=dropped"])
def test_nonsense_in_the_address_is_a_message_not_an_error(client, events, query):
    response = client.get(f"/audit/{query}")

    assert response.status_code == 200
    assert 'class="field-error"' in response.content.decode()
    assert len(response.context["rows"]) == len(events)


def test_filters_show_in_the_form_and_the_actor_list_offers_the_team(client, events):
    html = client.get("/audit/?actor=ada&target=Sales").content.decode()

    assert 'name="actor" value="ada"' in html and 'name="target" value="Sales"' in html
    assert '<option value="team-admin">' in html and '<option value="(system)">' in html
    assert 'href="/audit/"' in html and "Clear filters" in html


def test_pages_continue_below_the_last_event_and_keep_the_filters(client, events, monkeypatch):
    monkeypatch.setattr("codeengine_ui.access.views.AUDIT_PAGE_SIZE", 2)
    newer = [_event(AuditAction.TOKEN_TESTED, f"Other {n}", "ada") for n in range(3)]
    _event(AuditAction.TOKEN_TESTED, "Someone else's", "bob")

    pages, query = [], "?actor=ada&target="
    while query is not None:
        response = client.get(f"/audit/{query}")
        pages.append([event.pk for event, _lines in response.context["rows"]])
        older = re.findall(r'href="\?([^"]*before=\d+)"', response.content.decode())
        query = "?" + older[0].replace("&amp;", "&") if older else None
        assert query is None or query.startswith("?actor=ada&before=")

    assert pages == [
        [newer[2].pk, newer[1].pk],
        [newer[0].pk, events["ada_user"].pk],
        [events["ada_token"].pk],
    ]
    later = client.get(f"/audit/?actor=ada&before={newer[1].pk}").content.decode()
    assert re.search(r'<a href="/audit/\?actor=ada"[^>]*>Newest</a>', later)


def test_htmx_swaps_the_results_and_keeps_a_clean_address(client, events):
    response = client.get("/audit/?action=&actor=ada&target=&since=&until=", HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response["HX-Push-Url"] == "/audit/?actor=ada"
    assert html.lstrip().startswith('<section id="audit-log"') and "<html" not in html
    assert [e.pk for e, _ in response.context["rows"]] == _ids(events, "ada_user", "ada_token")


def test_htmx_paging_pushes_the_page_address(client, events, monkeypatch):
    monkeypatch.setattr("codeengine_ui.access.views.AUDIT_PAGE_SIZE", 1)
    before = events["system"].pk

    response = client.get(f"/audit/?actor=%28system%29&before={before}", HTTP_HX_REQUEST="true")

    assert response["HX-Push-Url"] == f"/audit/?actor=%28system%29&before={before}"
    assert [e.pk for e, _ in response.context["rows"]] == []


def test_going_back_restores_the_whole_page(client, events):
    response = client.get(
        "/audit/?actor=ada", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )

    assert "<html" in response.content.decode() and "HX-Push-Url" not in response


def test_only_admins_read_the_audit_log(member_client):
    assert member_client.get("/audit/?actor=ada").status_code == 403


def test_the_page_costs_the_same_queries_with_every_filter(client, events):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(query: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/audit/{query}").status_code == 200
        return len(captured.captured_queries)

    queries("")
    plain = queries("")
    for number in range(30):
        _event(AuditAction.USER_CHANGED, f"user u{number}", "ada", is_active=[True, False])

    assert queries("") == plain
    assert queries("?action=user_changed&actor=ada&target=u&since=2000-01-01") == plain


def test_a_person_is_found_whatever_the_case_it_is_typed_in(client, events, django_user_model):
    django_user_model.objects.create_user("ada")

    assert _listed(client, "?actor=ADA") == _ids(events, "ada_user", "ada_token")
    assert _listed(client, "?actor=Bob") == [], "a name no account has is matched as typed"
