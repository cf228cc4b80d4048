import logging
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render, resolve_url

logger = logging.getLogger(__name__)


class HtmxErrorMiddleware:
    """An htmx request that fails gets a small error fragment swapped into the page, not a
    full error page (which htmx would not show) or a silent failure."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not getattr(request, "htmx", False):
            return None
        if isinstance(exception, Http404):
            message = "What this part of the page shows no longer exists."
        elif isinstance(exception, PermissionDenied):
            message = "You are not allowed to do this."
        else:
            logger.exception("htmx request to %s failed", request.path, exc_info=exception)
            message = "The console failed to load this part of the page."
        context = {"message": message, "reload_url": request.htmx.current_url or request.path}
        response = render(request, "htmx_error.html", context)
        # Replace the element that asked, whatever its own swap style was.
        response["HX-Reswap"] = "outerHTML"
        return response


class HtmxSessionEndedMiddleware:
    """An htmx request whose session has gone (logged out in another tab, or expired) sends
    the whole page to the login, to come back to the page afterwards; without this, the
    login page would be swapped into the part of the page that asked.

    Two answers mean the session has gone: the redirect to the login that
    LoginRequiredMiddleware gives, and a 403 to a user who is no longer logged in (a form
    whose CSRF token ended with the session)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.headers.get("HX-Request") != "true":
            return response
        if not (self._to_login(response) or self._refused_after_logout(request, response)):
            return response
        login = resolve_url(settings.LOGIN_URL)
        redirect = HttpResponse(status=204)
        redirect["HX-Redirect"] = f"{login}?{urlencode({'next': _page_path(request)})}"
        return redirect

    @staticmethod
    def _to_login(response) -> bool:
        if response.status_code not in (301, 302, 303, 307, 308):
            return False
        return urlsplit(response.get("Location", "")).path == resolve_url(settings.LOGIN_URL)

    @staticmethod
    def _refused_after_logout(request, response) -> bool:
        user = getattr(request, "user", None)
        return response.status_code == 403 and not getattr(user, "is_authenticated", False)


def _page_path(request) -> str:
    """The page the person is on (not the fragment's URL), as a local path."""
    current = urlsplit(request.headers.get("HX-Current-URL", ""))
    if current.netloc and current.netloc != request.get_host():
        return request.path
    path = current.path or request.path
    return path + (f"?{current.query}" if current.query else "")
