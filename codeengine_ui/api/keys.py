"""API keys on requests: `Authorization: Bearer ce_…`, never a query string.

A key acts as its user, with their role and token grants; a read-only key cannot start
runs. Each request counts against the key's requests per minute (one UPDATE, so the limit
holds across web processes); the first use is audited."""

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from ninja.security import HttpBearer

from codeengine_ui.access.audit import record
from codeengine_ui.access.models import ApiKey, AuditAction
from codeengine_ui.access.roles import Role, require_role

from .problems import Problem, too_many


class ApiKeyAuth(HttpBearer):
    """A usable key, whose user has at least `role`; with `runs`, a key that may run."""

    def __init__(self, role: Role = Role.VIEWER, *, runs: bool = False):
        super().__init__()
        self.role, self.runs = role, runs

    def __call__(self, request):
        if "key" in request.GET or "api_key" in request.GET:
            raise Problem(
                400,
                "key_in_query",
                "API keys go in the Authorization header (Bearer), never in the address.",
            )
        # Read here, not by HttpBearer, which logs a header of another scheme whole.
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise Problem(
                401,
                "not_authenticated",
                "Send an API key: Authorization: Bearer ce_… (create one on your profile page).",
            )
        return self.authenticate(request, key.strip())

    def authenticate(self, request, key: str):
        api_key = ApiKey.find(key)
        if api_key is None:
            raise Problem(
                401,
                "bad_key",
                "This API key is unknown, revoked or expired: create a new one on your "
                "profile page.",
            )
        _count_request(api_key)
        request.user = api_key.user
        request.api_key = api_key
        require_role(api_key.user, self.role)
        if self.runs and not api_key.may_run:
            raise Problem(403, "read_only_key", "This API key is read-only: it cannot start runs.")
        return api_key


def _count_request(api_key: ApiKey) -> None:
    now = timezone.now()
    window = now.replace(second=0, microsecond=0)
    limit = settings.API_REQUESTS_PER_MINUTE
    keys = ApiKey.objects.filter(pk=api_key.pk)
    counted = keys.filter(window_start=window, window_requests__lt=limit).update(
        window_requests=F("window_requests") + 1, last_used_at=now
    )
    if not counted:
        counted = keys.exclude(window_start=window).update(
            window_start=window, window_requests=1, last_used_at=now
        )
    if not counted:
        retry_after = 60 - now.second
        raise too_many(
            f"This key made {limit} requests this minute (API_REQUESTS_PER_MINUTE): wait "
            f"{retry_after} s.",
            retry_after,
        )
    if api_key.last_used_at is None:
        record(AuditAction.API_KEY_FIRST_USED, str(api_key), actor=api_key.user)
