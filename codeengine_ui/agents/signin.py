"""Who an /mcp/ request acts as: an API key (`Authorization: Bearer ce_…`) or an OAuth
access token of a connected client; never a session cookie, so no page of another site
can drive it."""

from django.http import HttpResponse

from codeengine_ui.access.models import ApiKey
from codeengine_ui.access.roles import Role, role_of
from codeengine_ui.api.limits import count_person_request, count_request, room_for_runs, waiting

from .calls import Caller
from .oauth_tokens import access_for, challenge_header
from .reach import limit_of_client, limit_of_key, tool_functions


class SignInRefused(Exception):
    def __init__(self, message: str, *, status: int = 401, invalid_token: bool = False):
        super().__init__(message)
        self.status, self.invalid_token = status, invalid_token


def caller_of(request) -> Caller:
    scheme, _, text = request.headers.get("Authorization", "").partition(" ")
    text = text.strip()
    if scheme.lower() != "bearer" or not text:
        raise SignInRefused(
            "Sign in: connect with OAuth, or send an API key as Authorization: Bearer ce_… "
            "(create one with the AI tools scope on your profile page)."
        )
    if text.startswith(ApiKey.PREFIX):
        return _key_caller(request, text)
    return _oauth_caller(request, text)


def _key_caller(request, text: str) -> Caller:
    api_key = ApiKey.find(text)
    if api_key is None:
        raise SignInRefused(
            "This API key is unknown, revoked or expired: create a new one on your profile page.",
            invalid_token=True,
        )
    if not api_key.for_tools:
        raise SignInRefused(
            "This API key is for the API and the command line: give an assistant a key with "
            "the AI tools scope (your profile page), limited to the functions it needs.",
            status=403,
        )
    count_request(api_key)
    request.api_key = api_key
    refusal = ""
    if not api_key.may_run_tools:
        refusal = (
            "This API key is read-only: it may list the tools and read runs, not run "
            "functions. Create a key with the AI tools scope on your profile page."
        )
    return _caller(request, api_key.user, limit_of_key(api_key), refusal, api_key=api_key)


def _oauth_caller(request, text: str) -> Caller:
    access = access_for(text)
    if access is None:
        raise SignInRefused(
            "This access token is unknown, expired or revoked: connect again.",
            invalid_token=True,
        )
    user, application = access.user, access.application
    count_person_request(user.pk)
    request.api_key = None
    limit = limit_of_client(user, application)
    return _caller(request, user, limit, "", oauth_client_name=application.name)


def _caller(request, user, limit, refusal: str, **who) -> Caller:
    """The caller, as `user` with the key's or client's limit, and the request's limits."""
    request.user = user
    if not refusal and role_of(user) < Role.MEMBER:
        refusal = "Running functions needs the member role: ask an admin."
    return Caller(
        user=user,
        functions=tool_functions(user, limit),
        may_run=not refusal,
        refusal=refusal,
        absolute=request.build_absolute_uri,
        room=lambda: room_for_runs(request, 1),
        wait_place=lambda seconds: waiting(request, HttpResponse(), seconds),
        **who,
    )


def challenge(request, *, invalid: bool = False) -> str:
    if invalid:
        return challenge_header(
            request, "invalid_token", "The token is unknown, expired or revoked."
        )
    return challenge_header(request)
