"""Error pages that say what the limit was."""

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat

from codeengine_ui.htmx_requests import HtmxHttpRequest


def bad_request(request: HtmxHttpRequest, exception: Exception) -> HttpResponse:
    """A request Django could not read: most often one over the size limits."""
    context = {
        "max_request": filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE),
        "max_upload": filesizeformat(settings.MAX_UPLOAD_BYTES),
    }
    return render(request, "400.html", context, status=400)
