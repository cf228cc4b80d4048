"""Cross-origin access for the OAuth endpoints an assistant running in a browser calls
(metadata, registration, token, revocation). None of them reads a cookie, so any origin
may call them; a browser sends no credentials to an answer open to `*`."""

from functools import wraps

from django.http import HttpResponse

ALLOWED_HEADERS = "Content-Type, MCP-Protocol-Version"


def open_to_browsers(view):
    @wraps(view)
    def answered(request, *args, **kwargs):
        if request.method == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in request.META:
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            response["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response["Access-Control-Max-Age"] = "86400"
        else:
            response = view(request, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        return response

    return answered
