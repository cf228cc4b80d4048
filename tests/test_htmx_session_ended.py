"""An htmx request that meets an ended session sends the whole page to the login."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_a_fragment_asked_without_a_session_sends_the_page_it_came_from_to_the_login(client):
    response = client.get(
        "/executions/", **HTMX, HTTP_HX_CURRENT_URL="http://testserver/functions/7/run/?preset=3"
    )

    assert response.status_code == 204
    assert response["HX-Redirect"] == "/accounts/login/?next=%2Ffunctions%2F7%2Frun%2F%3Fpreset%3D3"


def test_a_page_named_on_another_host_is_not_where_the_login_returns(client):
    response = client.get("/executions/", **HTMX, HTTP_HX_CURRENT_URL="https://evil.example/x")

    assert response["HX-Redirect"] == "/accounts/login/?next=%2Fexecutions%2F"


def test_a_post_whose_csrf_token_ended_with_the_session_goes_to_the_login_too():
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        "/functions/1/editor/",
        {"editor_action": "mode:json"},
        **HTMX,
        HTTP_HX_CURRENT_URL="http://testserver/functions/1/run/",
    )

    assert response.status_code == 204
    assert response["HX-Redirect"] == "/accounts/login/?next=%2Ffunctions%2F1%2Frun%2F"


def test_requests_without_htmx_are_redirected_as_before(client):
    response = client.get("/executions/")

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_logged_in_user_refused_keeps_the_error_fragment(client, viewer):
    client.force_login(viewer)

    response = client.post("/functions/1/editor/", {}, **HTMX)

    assert response.status_code != 204 and "HX-Redirect" not in response
