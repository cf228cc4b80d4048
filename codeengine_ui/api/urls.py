"""The API's URLs. Its operations authenticate by API key, not by session, so the login
middleware lets them through (`login_required = False`) and each operation checks its key
and role itself; the docs page and the schema are for logged-in people."""

from django.urls import URLPattern

from codeengine_ui.access.roles import Role, role_required

from .api import api


def _key_authenticated(patterns):
    kept = []
    for pattern in patterns:
        if pattern.name == "api-root":  # ninja's root, which answers 404: for people
            pattern.callback = role_required(Role.VIEWER)(pattern.callback)
        view = pattern.callback if isinstance(pattern, URLPattern) else None
        if view is not None and not hasattr(view, "required_role"):
            view.login_required = False
            view.api_key_required = pattern.name != "health"
        kept.append(pattern)
    return kept


patterns, _app_name, _namespace = api.urls
urlpatterns = _key_authenticated(patterns)
app_name = "api"
