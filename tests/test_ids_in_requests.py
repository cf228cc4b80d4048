"""Ids, cursors and counts in URLs and posts may be any text: never a 500."""

import pytest

from tests.conftest import stored_run
from tests.runs.conftest import run_form_data

NOT_IDS = ["9" * 5000, "99999999999999999999999", "²", "٣", "-1", "1.0", ""]


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize("value", NOT_IDS)
def test_query_string_ids_that_are_not_ids_are_ignored(
    admin_client, admin_user, greet, developer_token, value
):
    run = stored_run(greet, developer_token, admin_user, {"name": "Ada"})
    for url, expected in (
        (f"/executions/?before={value}", 200),
        (f"/functions/{greet.pk}/run/?from={value}", 200),
        (f"/functions/{greet.pk}/run/?preset={value}", 200),
        (f"/executions/compare/?a={run.pk}&b={value}", 200),
        (f"/audit/?before={value}", 200),
        (f"/tokens/add/?instance={value}", 200),
        (f"/executions/compare/?a={value}", 404),
    ):
        assert admin_client.get(url).status_code == expected, url


@pytest.mark.parametrize("value", NOT_IDS)
def test_posted_token_ids_that_are_not_ids_are_refused_at_the_form(
    admin_client, greet, developer_token, instance, value
):
    data = run_form_data(greet, developer_token, {"name": "Ada"})
    data["token"] = value

    assert admin_client.post(f"/functions/{greet.pk}/run/", data).status_code == 200
    saved = admin_client.post(
        f"/instances/{instance.pk}/browse/pkg/1.0.0/save/",
        {"token": value, "function_name": "greet"},
    )
    assert saved.status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("since=9999-12-31&until=9999-12-31", "since"),
        ("until=9999-12-31", "until"),
        ("since=0001-01-01", "since"),
        ("start=9999-12-31T23:59:59", "start"),
        ("end=0001-01-01T00:00:00", "end"),
    ],
)
@pytest.mark.parametrize("zone", ["", "Pacific/Kiritimati", "Etc/GMT%2B12"])
def test_dates_at_the_ends_of_the_calendar_are_a_notice_on_the_history(
    admin_client, query, field, zone
):
    if zone:
        admin_client.cookies["console_tz"] = zone

    response = admin_client.get(f"/executions/?{query}")

    assert response.status_code == 200
    assert response.context["filters"].errors[field] == [
        "Choose a day between 1970-01-01 and 2999-12-31."
    ]
    assert "Choose a day between 1970-01-01 and 2999-12-31." in response.content.decode()
