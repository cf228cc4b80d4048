from django.urls import path

from codeengine_ui.access.roles import Role, role_required

from . import endpoint, pages, views
from .consent import ConsentView
from .cross_origin import open_to_browsers

# The toolkit's authorization view opts out of the login requirement and sends signed-out
# people to the login page itself; here the project's middleware does it, like everywhere.
consent = role_required(Role.VIEWER)(ConsentView.as_view())
consent.login_required = True

app_name = "agents"
urlpatterns = [
    path("mcp/", endpoint.mcp, name="mcp"),
    # Clients configured without the slash: no redirect for a POST.
    path("mcp", endpoint.mcp, name="mcp_unslashed"),
    path("functions/<int:function_id>/as-tool/", pages.function_as_tool, name="function_as_tool"),
    path("ai-tools/keys/<int:key_id>/", pages.key_tools, name="key_tools"),
    path(
        ".well-known/oauth-protected-resource",
        views.protected_resource_metadata,
        name="oauth_protected_resource",
    ),
    path(
        ".well-known/oauth-protected-resource/mcp/",
        views.protected_resource_metadata,
        name="oauth_protected_resource_of_mcp",
    ),
    path(
        ".well-known/oauth-protected-resource/mcp",
        views.protected_resource_metadata,
        name="oauth_protected_resource_of_mcp_unslashed",
    ),
    path(
        ".well-known/oauth-authorization-server",
        views.authorization_server_metadata,
        name="oauth_authorization_server",
    ),
    path("oauth/register/", views.register_client, name="oauth_register"),
    path("oauth/authorize/", consent, name="oauth_authorize"),
    path("oauth/token/", open_to_browsers(views.TokenView.as_view()), name="oauth_token"),
    path(
        "oauth/revoke/",
        open_to_browsers(views.RevokeTokenView.as_view()),
        name="oauth_revoke",
    ),
    path("ai-clients/", views.connected_clients, name="connected_clients"),
    path(
        "ai-clients/<int:connection_id>/revoke/",
        views.revoke_connection,
        name="revoke_connection",
    ),
]
