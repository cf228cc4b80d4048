"""The address a request really came from, for login throttling and the audit log.

Behind reverse proxies every request arrives from the nearest proxy. Each trusted proxy
appends the address it saw to X-Forwarded-For (nginx's `$proxy_add_x_forwarded_for`,
most load balancers), so with N trusted proxies the client is the N-th address from the
right; anything further left was written by the client and is not believed. With no
trusted proxy (TRUSTED_PROXY_COUNT=0, the default) the header is ignored.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [hop for hop in hops if hop]
    if len(hops) < proxies:
        return remote  # the proxies did not all add their hop: trust only what we saw
    candidate = hops[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
