import hmac
import ipaddress

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from codeengine_ui.access.addresses import client_address
from codeengine_ui.access.roles import Role, role_required
from codeengine_ui.htmx_requests import HtmxHttpRequest

from . import metrics as console_metrics
from . import readings

METRICS_REFUSED = (
    "/metrics answers a scraper that sends METRICS_TOKEN as a Bearer token, or one whose "
    "address is in METRICS_ALLOWED_NETWORKS."
)


@role_required(Role.ADMIN)
@require_GET
def operations(request: HtmxHttpRequest) -> HttpResponse:
    """Workers, the queue, instances against their budgets, the last hour's trouble and the
    database connections, for admins; refreshed by htmx."""
    context = {"now": readings.read(), "stale_after": settings.RUN_WORKER_STALE_SECONDS}
    if request.htmx:
        return render(request, "operations/operations.html#readings", context)
    return render(request, "operations/operations.html", context)


@login_not_required
@never_cache
@require_GET
def metrics(request) -> HttpResponse:
    if not _may_scrape(request):
        return HttpResponse(METRICS_REFUSED, status=403, content_type="text/plain")
    body = generate_latest(console_metrics.registry())
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)


def _may_scrape(request) -> bool:
    token = settings.METRICS_TOKEN
    scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(sent.encode(), token.encode()):
        return True
    try:  # behind reverse proxies, the client they name (TRUSTED_PROXY_COUNT), not them
        address = ipaddress.ip_address(client_address(request) or "")
    except ValueError:
        return False
    return any(address in network for network in settings.METRICS_ALLOWED_NETWORKS)
