from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from codeengine_ui.access.roles import Role, role_required
from codeengine_ui.catalog.encryption import TokenDecryptionError
from codeengine_ui.catalog.models import Function
from codeengine_ui.catalog.tokens import TokenRefused
from codeengine_ui.domo.errors import CodeEngineError
from codeengine_ui.htmx_requests import HtmxHttpRequest
from codeengine_ui.runs.services import InputsDoNotFit, RunRefused
from codeengine_ui.uploads import upload_refused

from . import exports
from .forms import MappingForm, TableSourceForm
from .models import TableRun
from .reading import TableUnreadable
from .services import (
    STATUS_FILTERS,
    VERDICT_FILTERS,
    Judging,
    draft_from_dataset,
    draft_from_file,
    filtered_rows,
    preview,
    progress_of,
    run_failed_again,
    start_table_run,
)

ROWS_PER_PAGE = 100


def _function(function_id: int) -> Function:
    return get_object_or_404(
        Function.objects.select_related("instance", "default_token"), pk=function_id
    )


def _table_run(request, table_run_id: int) -> TableRun:
    """A table run; a draft only for the person who made it."""
    table_run = get_object_or_404(
        TableRun.objects.select_related("function__instance", "created_by", "case"),
        pk=table_run_id,
    )
    if table_run.is_draft and table_run.created_by_id != request.user.pk:
        raise Http404("No such table run.")
    return table_run


@role_required(Role.MEMBER)
@require_http_methods(["GET", "POST"])
def new_table_run(request: HtmxHttpRequest, function_id: int) -> HttpResponse:
    """Run a function over a table: choose the file or the DataSet."""
    function = _function(function_id)
    data = request.POST if request.method == "POST" else None  # reads the upload, if any
    form = TableSourceForm(function, request.user, data, request.FILES or None,
                           upload_refused=upload_refused(request))  # fmt: skip
    if request.method == "POST" and form.is_valid():
        table_run = _draft(request, function, form)
        if table_run is not None:
            return redirect("tables:table_run", table_run.pk)
    recent = TableRun.objects.filter(function=function, started_at__isnull=False)[:10]
    return render(request, "tables/new_table_run.html",
                  {"function": function, "form": form, "recent": recent})  # fmt: skip


def _draft(request, function: Function, form: TableSourceForm) -> TableRun | None:
    data = form.cleaned_data
    try:
        if data["source"] == "dataset":
            return draft_from_dataset(
                function, request.user, data["token"], data["dataset_id"], data["row_limit"]
            )
        upload = data["file"]
        return draft_from_file(function, request.user, upload.name, upload.read())
    except TableUnreadable as error:
        form.add_error("file", str(error))
    except TokenRefused as error:
        form.add_error("token", str(error))
    except (CodeEngineError, TokenDecryptionError) as error:
        form.add_error("dataset_id", str(error))
    return None


@role_required(Role.VIEWER)
@require_GET
def table_run(request: HtmxHttpRequest, table_run_id: int) -> HttpResponse:
    """A draft's mapping and preview, or a started table run's progress and results."""
    table_run = _table_run(request, table_run_id)
    if table_run.is_draft:
        return _draft_page(request, table_run, MappingForm(table_run, table_run.function,
                                                           request.user))  # fmt: skip
    status, verdict = request.GET.get("status", ""), request.GET.get("verdict", "")
    rows = filtered_rows(table_run, status, verdict)
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "table_run": table_run,
        "progress": progress_of(table_run),
        "page": page,
        "status": status if status in STATUS_FILTERS else "",
        "verdict": verdict if verdict in VERDICT_FILTERS else "",
        "input_names": _input_names(table_run),
    }
    template = "tables/table_run.html"
    if request.htmx and request.htmx.target == "table-results":
        template += "#table-results"
    return render(request, template, context)


def _input_names(table_run: TableRun) -> list[str]:
    """The inputs the rows were read into (kept in the mapping, so they outlive the
    function)."""
    return list(table_run.mapping)


def _draft_page(request, table_run: TableRun, form: MappingForm, status: int = 200):
    function = table_run.function
    if function is None:
        raise Http404("The function was deleted.")
    context = {"table_run": table_run, "function": function, "form": form,
               "preview": preview(table_run, function)}  # fmt: skip
    template = "tables/table_draft.html"
    if request.htmx:
        template += "#table-draft"
    return render(request, template, context, status=status)


@role_required(Role.MEMBER)
@require_POST
def update_draft(request: HtmxHttpRequest, table_run_id: int) -> HttpResponse:
    """Save the mapping and options, then show the preview again, or start the run."""
    table_run = _table_run(request, table_run_id)
    if not table_run.is_draft or table_run.function is None:
        return redirect("tables:table_run", table_run.pk)
    form = MappingForm(table_run, table_run.function, request.user, request.POST)
    valid = form.is_valid()
    if form.mapping_is_valid():
        table_run.mapping = form.mapping()
        table_run.save(update_fields=["mapping"])
    action = request.POST.get("action", "")
    if action not in ("start", "start_valid"):
        form.forget_start_errors()  # while choosing, only the mapping is checked
        return _draft_page(request, table_run, form)
    if not valid:
        return _draft_page(request, table_run, form, status=422)
    data = form.cleaned_data
    judging = Judging(judged_by=data["judged_by"] or "", case=data.get("case"),
                      expect_column=data.get("expect_column") or "",
                      expect_path=(data.get("expect_path") or "").strip())  # fmt: skip
    try:
        start_table_run(table_run, request.user, data["token"],
                        only_valid=action == "start_valid", judging=judging)  # fmt: skip
    except InputsDoNotFit as misfit:
        path, message = misfit.problems[0]
        form.add_error(None, f"{path}: {message}")
        return _draft_page(request, table_run, form, status=422)
    except RunRefused as refused:
        form.add_error(None, str(refused))
        return _draft_page(request, table_run, form, status=422)
    response = redirect("tables:table_run", table_run.pk)
    if request.htmx:
        response = HttpResponse(status=204, headers={"HX-Redirect": response.url})
    return response


@role_required(Role.VIEWER)
@require_GET
def table_run_progress(request: HtmxHttpRequest, table_run_id: int) -> HttpResponse:
    table_run = _table_run(request, table_run_id)
    progress = progress_of(table_run)
    # The results table is drawn again once, when the last row ends.
    context = {"table_run": table_run, "progress": progress, "just_finished": progress.finished}
    return render(request, "tables/table_run.html#table-progress", context)


@role_required(Role.VIEWER)
@require_GET
def export_rows(request: HtmxHttpRequest, table_run_id: int, file_format: str) -> HttpResponse:
    table_run = _table_run(request, table_run_id)
    if table_run.is_draft or file_format not in exports.FORMATS:
        raise Http404("Nothing to export.")
    rows = filtered_rows(table_run, request.GET.get("status", ""), request.GET.get("verdict", ""))
    return exports.export_response(table_run, rows, file_format)


@role_required(Role.MEMBER)
@require_POST
def run_again(request: HtmxHttpRequest, table_run_id: int) -> HttpResponse:
    """Run the failed rows again, or one of them (`row`)."""
    table_run = _table_run(request, table_run_id)
    number = request.POST.get("row", "")
    try:
        count = run_failed_again(table_run, request.user,
                                 number=int(number) if number.isdigit() else None)  # fmt: skip
    except RunRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"{count:,} failed row{'s' if count != 1 else ''} queued again.")
    return redirect("tables:table_run", table_run.pk)
