"""OAuth for AI assistants: the metadata they discover, the registration of a client, the
token endpoint, and the page of connected clients."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST, require_safe
from oauth2_provider import views as oauth_views

from codeengine_ui.access.addresses import client_address
from codeengine_ui.access.roles import Role, has_role, role_required
from codeengine_ui.htmx_requests import HtmxHttpRequest
from codeengine_ui.request_values import row_id

from . import discovery, registration
from .connections import connection_rows, connections_seen_by, revoke
from .cross_origin import open_to_browsers
from .public_clients import drop_secret_of_public_client

NOT_CACHED = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@open_to_browsers
@login_not_required
@require_safe
def protected_resource_metadata(request) -> HttpResponse:
    return JsonResponse(discovery.protected_resource_metadata(request))


@open_to_browsers
@login_not_required
@require_safe
def authorization_server_metadata(request) -> HttpResponse:
    return JsonResponse(discovery.authorization_server_metadata(request))


@open_to_browsers
@csrf_exempt
@login_not_required
@require_POST
def register_client(request) -> HttpResponse:
    """RFC 7591: a public client registers its name and redirect URIs, and gets its id."""
    address = client_address(request)
    if wait := registration.seconds_until_room(address):
        per_hour = settings.MCP_CLIENT_REGISTRATIONS_PER_HOUR
        allowance, window = registration.registration_window(per_hour)
        refusal = _oauth_error(
            "temporarily_unavailable",
            f"{allowance} clients registered from this address in the last "
            f"{round(window.total_seconds())} s, as many as MCP_CLIENT_REGISTRATIONS_PER_HOUR "
            f"({per_hour}) allows in that time: try again in {wait} s.",
            429,
        )
        refusal["Retry-After"] = str(wait)
        return refusal
    most = registration.MAX_METADATA_BYTES
    declared = row_id(request.META.get("CONTENT_LENGTH") or "0") or 0
    if declared > most or len(request.body) > most:  # the declared size first: nothing read
        return _oauth_error(
            "invalid_client_metadata", f"Client metadata is at most {most} bytes.", 413
        )
    try:
        metadata = registration.read_metadata(request.body)
    except ValidationError as refusal:
        return _oauth_error(refusal.code, refusal.messages[0], 400)
    registration.prune_unused_clients()
    application = registration.register(metadata, address)
    return JsonResponse(
        registration.registration_response(application), status=201, headers=NOT_CACHED
    )


def _oauth_error(error: str, description: str, status: int) -> JsonResponse:
    return JsonResponse(
        {"error": error, "error_description": description}, status=status, headers=NOT_CACHED
    )


class TokenView(oauth_views.TokenView):
    """The toolkit's token endpoint, refusing a `resource` other than the MCP endpoint."""

    def post(self, request, *args, **kwargs):
        drop_secret_of_public_client(request)
        for resource in request.POST.getlist("resource"):
            if not discovery.names_this_resource(resource, request):
                return _oauth_error(
                    "invalid_target",
                    f"This console issues tokens for its MCP endpoint only, not {resource}.",
                    400,
                )
        return super().post(request, *args, **kwargs)


@role_required(Role.NONE)
@require_GET
def connected_clients(request: HtmxHttpRequest) -> HttpResponse:
    """AI clients connected to the console: a person's own, or everyone's for an admin."""
    rows = connection_rows(connections_seen_by(request.user))
    context = {"rows": rows, "sees_everyone": has_role(request.user, Role.ADMIN)}
    return render(request, "agents/connected_clients.html", context)


@role_required(Role.NONE)
@require_POST
def revoke_connection(request: HtmxHttpRequest, connection_id: int) -> HttpResponse:
    """Revoke a connected client: its owner, or an admin."""
    connection = get_object_or_404(connections_seen_by(request.user), pk=connection_id)
    revoke(connection)
    messages.success(
        request,
        f"Revoked “{connection.application.name}” for {connection.user.get_username()}: "
        "its tokens no longer work.",
    )
    return redirect("agents:connected_clients")


class RevokeTokenView(oauth_views.RevokeTokenView):
    def post(self, request, *args, **kwargs):
        drop_secret_of_public_client(request)
        return super().post(request, *args, **kwargs)
