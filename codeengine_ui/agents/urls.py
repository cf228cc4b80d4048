from django.urls import path

from . import endpoint, pages

app_name = "agents"

urlpatterns = [
    path("mcp/", endpoint.mcp, name="mcp"),
    path("mcp", endpoint.mcp),  # clients configured without the slash: no redirect for a POST
    path("functions/<int:function_id>/as-tool/", pages.function_as_tool, name="function_as_tool"),
    path("ai-tools/keys/<int:key_id>/", pages.key_tools, name="key_tools"),
]
