"""The console's pages about AI agents: a function seen as an agent sees it, and which
functions an API key may use as tools."""

import json

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from codeengine_ui.access.audit import record
from codeengine_ui.access.models import ApiKey, ApiKeyScope, AuditAction
from codeengine_ui.access.roles import Role, role_required
from codeengine_ui.catalog.models import Function
from codeengine_ui.htmx_requests import HtmxHttpRequest

from .client_config import client_configs
from .connections import ALL_FUNCTIONS
from .forms import FunctionsChoiceForm
from .models import ToolLimit
from .reach import runnable_functions
from .tools import function_tool, warnings_of


@role_required(Role.VIEWER)
@require_GET
def function_as_tool(request: HtmxHttpRequest, function_id: int) -> HttpResponse:
    """The tool an agent gets for this function, where a model would struggle with it, and
    how to connect an assistant: a part of the function's page, or a page of its own."""
    function = get_object_or_404(Function.objects.select_related("instance"), pk=function_id)
    context = {
        "function": function,
        "tool_json": json.dumps(function_tool(function), indent=2, ensure_ascii=False),
        "tool_name": function_tool(function)["name"],
        "warnings": warnings_of(function),
        "configs": client_configs(request.build_absolute_uri(reverse("agents:mcp"))),
        "may_run": runnable_functions(request.user).filter(pk=function.pk).exists(),
    }
    template = "agents/function_as_tool.html"
    if request.htmx:
        template += "#as-tool"
    return render(request, template, context)


@role_required(Role.VIEWER)
@require_http_methods(["GET", "POST"])
def key_tools(request, key_id: int) -> HttpResponse:
    """Which functions one of the person's own keys may use as tools."""
    api_key = get_object_or_404(
        ApiKey.objects.usable(), pk=key_id, user=request.user, scope=ApiKeyScope.TOOLS
    )
    limit = ToolLimit.objects.filter(api_key=api_key).first()
    form = FunctionsChoiceForm(request.POST or None, user=request.user, limit=limit)
    if request.method == "POST" and form.is_valid():
        chosen = form.chosen_functions()
        with transaction.atomic():
            ToolLimit.set_for(request.user, chosen, api_key=api_key)
            record(
                AuditAction.AI_TOOLS_LIMITED,
                str(api_key),
                api_key=api_key.name,
                tools=ALL_FUNCTIONS if chosen is None else [str(f) for f in chosen],
            )
        messages.success(request, f"Saved the functions the key {api_key.name} may use.")
        return redirect("access:profile")
    return render(request, "agents/key_tools.html", {"api_key": api_key, "form": form})
