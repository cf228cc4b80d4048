"""Login throttling per client address, on top of django-axes' per-username lockout.

django-axes locks a username out after LOGIN_FAILURE_LIMIT failures from one address;
this stops an address that tries many usernames (LOGIN_ADDRESS_FAILURE_LIMIT failures in
a burst, counted in the audit log's burst row for that address).
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied

from .addresses import client_address
from .audit import failed_logins_from


class AddressThrottleBackend:
    """Before the backend that checks passwords: refuses every login from an address that
    failed too often lately, and shows django-axes' lockout page for it. It logs nobody
    in, so it has no get_user()."""

    def authenticate(self, request, **credentials):
        if request is None:
            return None
        if failed_logins_from(client_address(request)) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            request.axes_locked_out = True
            raise PermissionDenied("Too many failed logins from this address.")
        return None
