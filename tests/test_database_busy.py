"""A request that finds no database connection free is answered 503 with Retry-After and a
sentence, on a page and in the API, never a 500; other failures stay 500s."""

import sys

from django.db import OperationalError
from django.test import RequestFactory
from psycopg_pool import PoolTimeout

from codeengine_ui.error_pages import DatabaseBusyMiddleware, server_error


def _busy() -> OperationalError:
    try:
        try:
            raise PoolTimeout("couldn't get a connection after 5.00 sec")
        except PoolTimeout as timeout:
            raise OperationalError(str(timeout)) from timeout
    except OperationalError as error:
        return error


def test_a_view_without_a_free_connection_answers_503_with_retry_after():
    middleware = DatabaseBusyMiddleware(lambda request: None)
    page = middleware.process_exception(RequestFactory().get("/executions/"), _busy())
    api = middleware.process_exception(RequestFactory().get("/api/v1/runs"), _busy())

    assert (page.status_code, page["Retry-After"]) == (503, "5")
    assert "busy" in page.content.decode() and "try again" in page.content.decode()
    assert (api.status_code, api["Retry-After"]) == (503, "5")
    assert b'"code": "busy"' in api.content


def test_too_many_clients_refused_by_the_server_is_busy_too():
    refused = OperationalError("FATAL:  sorry, too many clients already")
    middleware = DatabaseBusyMiddleware(lambda request: None)
    assert middleware.process_exception(RequestFactory().get("/"), refused).status_code == 503


def test_other_failures_are_left_to_the_500_page(settings):
    middleware = DatabaseBusyMiddleware(lambda request: None)
    assert middleware.process_exception(RequestFactory().get("/"), ValueError("bug")) is None
    assert (
        middleware.process_exception(RequestFactory().get("/"), OperationalError("no such column"))
        is None
    )


def test_a_failure_before_any_view_is_503_when_it_was_the_pool(monkeypatch):
    error = _busy()
    monkeypatch.setattr(sys, "exc_info", lambda: (type(error), error, None))
    answer = server_error(RequestFactory().get("/"))
    assert (answer.status_code, answer["Retry-After"]) == (503, "5")
