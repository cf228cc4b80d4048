from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.db.models import Count, Max, Q
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from codeengine_ui.catalog.models import Function
from codeengine_ui.parameters.forms import EDITOR_ACTION, InputsEditor

from .forms import RunOptionsForm
from .models import Execution, ExecutionStatus, WorkerHeartbeat
from .tasks import submit_run

HISTORY_PAGE_SIZE = 50
CODE_ENGINE_LIMIT_SECONDS = 300


@require_http_methods(["GET", "POST"])
def function_run(request, function_id: int):
    """A saved function's page: its inputs editor; a POST either edits the inputs (add a
    list item, switch to JSON...) or, when valid, queues a run."""
    function = get_object_or_404(
        Function.objects.select_related("instance", "default_token"), pk=function_id
    )
    data = request.POST if request.method == "POST" else None
    last_inputs = _last_inputs(function, request.user)
    options_form = RunOptionsForm(function, data)
    editor = InputsEditor(function.parameters, data, values=last_inputs if data is None else None)
    editor_url = reverse("runs:function_run", args=[function.pk])
    if data is not None and data.get(EDITOR_ACTION):
        editor.perform(data[EDITOR_ACTION])
        if request.htmx:
            context = {"editor": editor, "editor_url": editor_url}
            return render(request, "parameters/inputs_editor.html", context)
    elif data is not None and (options_form.is_valid() & editor.is_valid()):
        execution, _created = submit_run(
            function=function,
            token=options_form.cleaned_data["token"],
            input_variables=editor.input_variables(),
            get_logs=options_form.cleaned_data["get_logs"],
            user=request.user,
            idempotency_key=options_form.cleaned_data["submission_id"],
        )
        return HttpResponseRedirect(reverse("runs:execution_detail", args=[execution.pk]))
    context = {
        "function": function,
        "options_form": options_form,
        "editor": editor,
        "editor_url": editor_url,
        "recent_executions": function.executions.select_related("requested_by")[:10],
        "app_call": function.app_call(last_inputs),
    }
    return render(request, "runs/function_run.html", context)


def _last_inputs(function: Function, user) -> dict | None:
    last = function.executions.filter(requested_by=user).only("input_variables").first()
    return last.input_variables if last else None


@require_GET
def execution_detail(request, execution_id: int):
    execution = get_object_or_404(
        Execution.objects.select_related("function", "requested_by"), pk=execution_id
    )
    template = "runs/execution_detail.html"
    if request.htmx:
        template += "#execution-live"
    context = {"execution": execution, "limit_seconds": CODE_ENGINE_LIMIT_SECONDS}
    if execution.function and not request.htmx:
        context["app_call"] = execution.function.app_call(execution.input_variables)
    return render(request, template, context)


@require_GET
def execution_list(request):
    """The team's runs, newest first; `?before=<id>` pages back (keyset, never OFFSET)."""
    executions = Execution.objects.select_related("requested_by", "function")
    before = request.GET.get("before", "")
    if before.isdigit():
        executions = executions.filter(pk__lt=int(before))
    page = list(executions[: HISTORY_PAGE_SIZE + 1])
    has_more = len(page) > HISTORY_PAGE_SIZE
    page = page[:HISTORY_PAGE_SIZE]
    context = {
        "executions": page,
        "next_before": page[-1].pk if has_more else None,
        "is_first_page": not before,
    }
    return render(request, "runs/execution_list.html", context)


@login_not_required
@never_cache
@require_GET
def health(request):
    """For load balancers and for "why is my run still queued?": database and workers."""
    report = {"database": {"ok": False}, "worker": {"ok": False, "last_seen": None}}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        report["database"]["ok"] = True
        last_seen = WorkerHeartbeat.objects.aggregate(last=Max("last_seen_at"))["last"]
        live_workers = WorkerHeartbeat.live().count()
        report["worker"] = {
            "ok": live_workers > 0,
            "live_workers": live_workers,
            "last_seen": last_seen.isoformat() if last_seen else None,
            "seconds_since_last_seen": (
                round((timezone.now() - last_seen).total_seconds(), 1) if last_seen else None
            ),
            "stale_after_seconds": settings.RUN_WORKER_STALE_SECONDS,
        }
        report["runs"] = Execution.objects.aggregate(
            queued=Count("id", filter=Q(status=ExecutionStatus.QUEUED)),
            running=Count("id", filter=Q(status=ExecutionStatus.RUNNING)),
        )
    except Exception as error:
        report["database"]["error"] = type(error).__name__
    healthy = report["database"]["ok"] and report["worker"]["ok"]
    report["status"] = "ok" if healthy else "unavailable"
    return JsonResponse(report, status=200 if healthy else 503)
