"""Error pages that say what the limit was."""

import sys

from django.conf import settings
from django.db import OperationalError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.views.defaults import server_error as django_server_error

from codeengine_ui.htmx_requests import HtmxHttpRequest


def bad_request(request: HtmxHttpRequest, exception: Exception) -> HttpResponse:
    """A request Django could not read: most often one over the size limits."""
    context = {
        "max_request": filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE),
        "max_upload": filesizeformat(settings.MAX_UPLOAD_BYTES),
    }
    return render(request, "400.html", context, status=400)


# When the database has no connection free, the request is answered with this, and asked
# to come back after RETRY_AFTER_SECONDS.
BUSY_MESSAGE = (
    "The console's database is busy: every connection it may use is taken. Nothing was "
    "changed; try again in a few seconds."
)
RETRY_AFTER_SECONDS = 5


def database_busy(error: BaseException | None) -> bool:
    """Whether `error` says no database connection could be had now (the pool's wait ran
    out, or the server refused another connection), rather than a fault in a query."""
    while error is not None:
        if type(error).__name__ in ("PoolTimeout", "TooManyConnections"):
            return True
        text = str(error)
        if isinstance(error, OperationalError) and (
            "too many clients" in text or "remaining connection slots" in text
        ):
            return True
        error = error.__cause__ or error.__context__
    return False


def busy_response(request) -> HttpResponse:
    # django.request logs the 503 itself, with the path.
    if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        response = JsonResponse({"detail": BUSY_MESSAGE, "code": "busy"}, status=503)
    else:
        # Drawn without the request's context: its processors would read the database.
        page = render_to_string("503.html", {"message": BUSY_MESSAGE})
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request) -> HttpResponse:
    """A failure outside a view (the session or the login, read before any view) that was
    only the database having no connection free is a 503, not a 500."""
    if database_busy(sys.exc_info()[1]):
        return busy_response(request)
    return django_server_error(request)


class DatabaseBusyMiddleware:
    """A view that could not get a database connection answers 503 with Retry-After and a
    sentence (htmx shows it where the request came from), not a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if database_busy(exception):
            return busy_response(request)
        return None
