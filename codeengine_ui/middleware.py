import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render

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
