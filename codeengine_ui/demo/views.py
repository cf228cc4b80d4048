from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from codeengine_ui.access.roles import Role, role_required
from codeengine_ui.htmx_requests import HtmxHttpRequest

from .package import demo_app_manifest


@role_required(Role.VIEWER)
@require_GET
def sample_manifest(request: HtmxHttpRequest) -> HttpResponse:
    """A manifest whose aliases call the demo package's functions, to try the import with."""
    response = JsonResponse(demo_app_manifest(), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = 'attachment; filename="sales-helper-manifest.json"'
    return response
