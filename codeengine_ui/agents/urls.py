from django.urls import path

from . import views

app_name = "agents"

urlpatterns = [
    path("mcp/", views.mcp, name="mcp"),
    path("mcp", views.mcp),  # clients configured without the slash: no redirect for a POST
]
