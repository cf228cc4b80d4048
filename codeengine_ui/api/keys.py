"""API keys on requests: `Authorization: Bearer ce_…`, never a query string.

A key acts as its user, with their role and token grants. Whether a request writes is read
from its method, here and nowhere else: anything but GET, HEAD and OPTIONS needs a member's
key that may write, so no operation can forget it. Each request counts against the key's
and its person's requests per minute (limits.py); the first use is audited."""

from ninja.security import HttpBearer

from codeengine_ui.access.models import ApiKey
from codeengine_ui.access.roles import Role, require_role

from .limits import count_request
from .problems import Problem

# The only methods that change nothing; every other one needs a key that may write.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ApiKeyAuth(HttpBearer):
    """A usable key whose user has at least `role`; to write, a member's key that may."""

    def __init__(self, role: Role = Role.VIEWER):
        super().__init__()
        self.role = role

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
        if not api_key.for_api:
            raise Problem(
                403,
                "key_for_ai_tools",
                "This API key is for AI tools: an assistant uses it at /mcp/. Create a key "
                "for the API on your profile page.",
            )
        count_request(api_key)
        request.user = api_key.user
        request.api_key = api_key
        writes = request.method not in READ_METHODS
        require_role(api_key.user, max(self.role, Role.MEMBER) if writes else self.role)
        if writes and not api_key.may_write:
            raise Problem(
                403,
                "read_only_key",
                "This API key is read-only: it may read, not run or save anything. Create a "
                "key that may write on your profile page.",
            )
        return api_key
