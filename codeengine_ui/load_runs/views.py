"""The load-run pages: a function's load runs and the form to start one, a load run followed
live, its approval, stop, and two load runs side by side."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from codeengine_ui.access.roles import Role, may_start_load_runs, role_of, role_required
from codeengine_ui.catalog.models import Function
from codeengine_ui.htmx_requests import HtmxHttpRequest
from codeengine_ui.json_text import indented
from codeengine_ui.runs.models import Execution
from codeengine_ui.runs.services import InputsDoNotFit

from . import services
from .authority import NO_PERMISSION
from .charts import load_chart
from .forms import CompareForm, LoadRunForm
from .models import LoadRun, LoadRunStatus
from .summary import LATENCY_NOTE, comparison

LIVE_SECONDS = 1


@role_required(Role.VIEWER)
@require_http_methods(["GET", "POST"])
def function_load_runs(request: HtmxHttpRequest, function_id: int) -> HttpResponse:
    """The function's load runs, newest first, and (for those who may) the form to start one."""
    function = get_object_or_404(Function.objects.select_related("instance"), pk=function_id)
    may_start = may_start_load_runs(request.user)
    if request.method == "POST" and not may_start:
        raise PermissionDenied(NO_PERMISSION)
    form = None
    if may_start:
        data = request.POST if request.method == "POST" else None
        form = LoadRunForm(
            data, function=function, user=request.user, initial=_initial(function, request.user)
        )
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            load_run = services.start_load_run(form.settings(), request.user)
        except InputsDoNotFit as error:
            form.add_error(
                "inputs", "; ".join(f"{path}: {message}" for path, message in error.problems)
            )
        except services.LoadRunRefused as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            if load_run.status == LoadRunStatus.AWAITING_APPROVAL:
                messages.info(
                    request, "It runs against production: it starts once an admin approves it."
                )
            return redirect("load_runs:load_run", load_run.pk)
    context = {
        "function": function,
        "form": form,
        "may_start": may_start,
        "is_admin": role_of(request.user) >= Role.ADMIN,
        "load_runs": function.load_runs.select_related("started_by")[:50],
        "max_users": settings.LOAD_RUN_MAX_USERS,
    }
    return render(
        request,
        "load_runs/function_load_runs.html",
        context,
        status=400 if form is not None and form.errors else 200,
    )


@role_required(Role.VIEWER)
@require_GET
def load_run_list(request: HtmxHttpRequest) -> HttpResponse:
    """Every function's load runs: those waiting for an admin first, then the latest."""
    runs = LoadRun.objects.select_related("started_by")
    context = {
        "awaiting": runs.filter(status=LoadRunStatus.AWAITING_APPROVAL).order_by("id"),
        "load_runs": runs.exclude(status=LoadRunStatus.AWAITING_APPROVAL)[:100],
    }
    return render(request, "load_runs/load_run_list.html", context)


@role_required(Role.VIEWER)
@require_GET
def load_run(request: HtmxHttpRequest, load_run_id: int) -> HttpResponse:
    """A load run: live while it runs (the live part asks again every second), then its
    summary and verdict."""
    run = get_object_or_404(
        LoadRun.objects.select_related("started_by", "approved_by", "function"), pk=load_run_id
    )
    buckets = list(run.buckets.all())
    context = {
        "load_run": run,
        "chart": load_chart(buckets),
        "buckets": buckets,
        "live_seconds": LIVE_SECONDS,
        "may_stop": not run.is_finished
        and (request.user == run.started_by or role_of(request.user) >= Role.ADMIN),
        "may_decide": run.status == LoadRunStatus.AWAITING_APPROVAL
        and role_of(request.user) >= Role.ADMIN,
        "earlier_runs": LoadRun.objects.filter(
            function_id=run.function_id, status=LoadRunStatus.FINISHED
        ).exclude(pk=run.pk)[:20],
        "latency_note": LATENCY_NOTE,
        "inputs_text": indented(run.input_variables),
        "recent_calls": Execution.objects.filter(batch_id=run.uuid).order_by("-id")[:10]
        if not run.is_finished
        else [],
    }
    template = "load_runs/load_run.html"
    if request.htmx and request.htmx.target == "load-run-live":
        template += "#load-run-live"
    return render(request, template, context)


@role_required(Role.MEMBER)
@require_POST
def stop_load_run(request: HtmxHttpRequest, load_run_id: int) -> HttpResponse:
    run = get_object_or_404(LoadRun, pk=load_run_id)
    try:
        services.stop(run, request.user)
    except services.LoadRunRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Stopping: no new call starts, and what it measured is kept.")
    return redirect("load_runs:load_run", run.pk)


@role_required(Role.ADMIN)
@require_POST
def decide_load_run(request: HtmxHttpRequest, load_run_id: int) -> HttpResponse:
    """An admin approves (it starts) or declines a member's load run on production."""
    run = get_object_or_404(LoadRun.objects.select_related("started_by", "token"), pk=load_run_id)
    approving = request.POST.get("decision") == "approve"
    try:
        if approving:
            services.approve(run, request.user)
        else:
            services.decline(run, request.user)
    except services.LoadRunRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, "Approved: it starts now." if approving else "Declined: it will not run."
        )
    return redirect("load_runs:load_run", run.pk)


@role_required(Role.VIEWER)
@require_GET
def compare_load_runs(request: HtmxHttpRequest) -> HttpResponse:
    """Two load runs side by side: the earlier one's figures, the later one's, the change."""
    form = CompareForm(request.GET)
    if not form.is_valid():
        messages.error(request, "Choose two load runs to compare.")
        return redirect(request.META.get("HTTP_REFERER") or reverse("dashboard:function_list"))
    earlier = get_object_or_404(LoadRun, pk=form.cleaned_data["earlier"])
    later = get_object_or_404(LoadRun, pk=form.cleaned_data["later"])
    if earlier.pk > later.pk:
        earlier, later = later, earlier
    context = {"earlier": earlier, "later": later, "rows": comparison(earlier, later)}
    return render(request, "load_runs/compare.html", context)


def _initial(function: Function, user) -> dict:
    """The form's first values: the user's last inputs for the function, or its defaults."""
    last = (
        Execution.objects.filter(function=function, requested_by=user)
        .order_by("-id")
        .values_list("input_variables", flat=True)
        .first()
    )
    inputs = (
        last if last is not None else {p["name"]: p.get("default") for p in function.parameters}
    )
    token = function.token_for(user)
    return {"inputs": indented(inputs), "token": token.pk if token else None}
