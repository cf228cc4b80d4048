import uuid
from functools import partial
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Max, Q
from django.http import (
    Http404,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from codeengine_ui.access.roles import Role, require_role, role_required
from codeengine_ui.catalog.encryption import TokenDecryptionError
from codeengine_ui.catalog.forms import KeyInputsForm
from codeengine_ui.catalog.models import (
    AccessToken,
    DirectoryName,
    Function,
    InputPreset,
    ReleaseNews,
    UsableTokens,
)
from codeengine_ui.catalog.tokens import client_for
from codeengine_ui.domo.client import DIRECTORY_KINDS, FUNCTION_TIME_LIMIT_SECONDS
from codeengine_ui.domo.errors import CodeEngineError, PermissionDeniedError
from codeengine_ui.error_codes import next_step_for, with_next_step
from codeengine_ui.error_pages import RETRY_AFTER_SECONDS
from codeengine_ui.htmx_requests import HtmxHttpRequest
from codeengine_ui.json_text import indented, one_line
from codeengine_ui.keyset import newest_first
from codeengine_ui.parameters.editor import EDITOR_ACTION, InputsEditor
from codeengine_ui.request_values import row_id
from codeengine_ui.text_lines import ONE_LINE_REFUSAL, not_one_line

from . import history, queue
from .comparison import json_differences
from .explanations import input_problems, result_type_failure
from .forms import HistoryFilterForm, RunOptionsForm
from .live import wait_for_news
from .liveness import stalled_runs
from .models import Execution, ExecutionStatus, RunSource, WorkerHeartbeat
from .names import input_names, name_now, names_for
from .services import InputsDoNotFit, RunNotAllowed, start_run
from .snippets import curl_snippet, httpx_snippet
from .tasks import time_limit

# Above this size a result is shown as text, not as a tree; above the next it is cut.
RESULT_TREE_LIMIT = 256 * 1024
RESULT_SHOWN_LIMIT = 1024 * 1024
LOG_LINES_SHOWN = 2000
# How long a run that has just started is given to finish before the page shows it running.
RUNNING_SETTLE = 0.25


# --- The function page: inputs editor and run ---------------------------------------------


def _function(function_id: int) -> Function:
    return get_object_or_404(
        Function.objects.select_related("instance", "default_token"), pk=function_id
    )


@role_required(Role.VIEWER)
@require_http_methods(["GET", "POST"])
def function_run(request: HtmxHttpRequest, function_id: int) -> HttpResponse:
    """A saved function's page: its inputs editor and run options; a POST runs it."""
    function = _function(function_id)
    if request.method == "GET":
        return _function_page(request, function)
    require_role(request.user, Role.MEMBER)
    RunOptionsForm.refuse_ungranted_token(request.POST, function, request.user)
    options_form = RunOptionsForm(function, request.user, request.POST)
    editor = InputsEditor(function.parameters, request.POST)
    if options_form.is_valid() & editor.is_valid():
        options = options_form.cleaned_data
        try:
            execution = start_run(
                function,
                editor.input_variables(),
                options["token"],
                request.user,
                RunSource.FORM,
                idempotency_key=options["submission_id"],
                get_logs=options["get_logs"],
            )
        except RunNotAllowed as refusal:
            if request.htmx:
                return _run_panel(request, function, refusal=with_next_step(refusal))
            raise PermissionDenied(with_next_step(refusal)) from None
        if not request.htmx:
            return redirect("runs:execution_detail", execution.pk)
        _remember_panel_run(request, function, execution)
        response = _run_panel(request, function, execution, new_submission_id=uuid.uuid4())
        response["HX-Replace-Url"] = _function_url(function, run=execution.pk)
        return response
    if request.htmx:
        return _run_form_again(request, function, editor, options_form)
    return _function_page(request, function, editor=editor, options_form=options_form)


PANEL_RUNS_KEPT = 10


def _panel_runs_key(function: Function) -> str:
    return f"panel_runs:{function.pk}"


def _remember_panel_run(request, function: Function, execution: Execution) -> None:
    """This session's runs of the function, newest first, for the panel's list."""
    key = _panel_runs_key(function)
    earlier = [pk for pk in request.session.get(key, []) if pk != execution.pk]
    request.session[key] = [execution.pk, *earlier][:PANEL_RUNS_KEPT]


def _function_url(function: Function, **query) -> str:
    url = reverse("runs:function_run", args=[function.pk])
    return f"{url}?{urlencode(query)}" if query else url


def _run_panel(
    request,
    function: Function,
    execution: Execution | None = None,
    *,
    refusal: str = "",
    new_submission_id: uuid.UUID | None = None,
) -> HttpResponse:
    context = _panel_context(request, function, execution)
    context.update(refusal=refusal, new_submission_id=new_submission_id)
    if new_submission_id is not None:  # a new run: the page's list of runs shows it too
        context["recent_executions"] = _recent_executions(function)
    return render(request, "runs/function_run.html#run-panel", context)


def _recent_executions(function: Function):
    return function.executions.select_related("requested_by")[:10]


def _panel_context(request, function: Function, execution: Execution | None) -> dict:
    """The run shown beside the form, and this session's earlier runs of the function."""
    ids = request.session.get(_panel_runs_key(function), [])
    earlier = [pk for pk in ids if execution is None or pk != execution.pk]
    context = {
        "function": function,
        "panel_run": execution,
        "earlier_runs": function.executions.filter(pk__in=earlier).only(
            "pk", "status", "attempts", "retry_at", "error_code", "queued_at", "finished_at"
        ),
    }
    if execution is not None:
        context.update(_live_context(execution))
    return context


@role_required(Role.VIEWER)
@require_GET
def run_panel(request: HtmxHttpRequest, function_id: int) -> HttpResponse:
    """The panel beside the form, showing one run of the function (?run=)."""
    function = _function(function_id)
    execution = _panel_execution(function, request.GET.get("run"))
    return _run_panel(request, function, execution)


def _panel_execution(function: Function, run: str | None) -> Execution | None:
    run_id = row_id(run)
    if run_id is None:
        return None
    return (
        function.executions.select_related("function", "instance", "requested_by", "token")
        .filter(pk=run_id)
        .first()
    )


@role_required(Role.VIEWER)
@require_POST
def function_editor(request: HtmxHttpRequest, function_id: int) -> HttpResponse:
    """An editing action on the posted inputs (add, remove or move a list item; switch
    between the form and JSON): htmx gets the editor alone, a browser without it the page."""
    function = _function(function_id)
    editor = InputsEditor(function.parameters, request.POST)
    editor.perform(request.POST.get(EDITOR_ACTION, ""))
    if request.htmx:
        context = {"editor": editor, "editor_url": _editor_url(function)}
        return render(request, "parameters/inputs_editor.html", context)
    options_form = RunOptionsForm(function, request.user, request.POST)
    return _function_page(request, function, editor=editor, options_form=options_form)


@role_required(Role.MEMBER)
@require_POST
def save_form_preset(request: HtmxHttpRequest, function_id: int) -> HttpResponse:
    """The inputs of the form, saved under a name for the team."""
    function = _function(function_id)
    editor = InputsEditor(function.parameters, request.POST)
    if editor.is_valid():
        saved = _save_preset(
            request, function, request.POST.get("preset_name", ""), editor.input_variables()
        )
        return _whole_page_to(saved["Location"]) if request.htmx else saved
    options_form = RunOptionsForm(function, request.user, request.POST)
    if request.htmx:
        return _run_form_again(request, function, editor, options_form)
    return _function_page(request, function, editor=editor, options_form=options_form)


def _whole_page_to(url: str) -> HttpResponse:
    """For htmx: the browser goes to `url`, as a whole page."""
    response = HttpResponse(status=204)
    response["HX-Redirect"] = url
    return response


def _run_form_again(request, function: Function, editor, options_form) -> HttpResponse:
    """The run form again in place, with what needs attention."""
    response = _function_page(
        request, function, editor=editor, options_form=options_form, part="run-form"
    )
    response["HX-Retarget"] = "#run-form"
    response["HX-Reswap"] = "outerHTML"
    return response


DIRECTORY_NAMES = {"person": "people", "group": "groups", "dataset": "DataSets",
                   "account": "accounts"}  # fmt: skip


@role_required(Role.MEMBER)
@require_GET
def directory_search(request: HtmxHttpRequest, function_id: int, kind: str) -> HttpResponse:
    """Suggestions for a person, group, DataSet or account input, searched on the
    function's instance with the token chosen on the form (one granted to the user)."""
    function = _function(function_id)
    if kind not in DIRECTORY_KINDS:
        raise Http404("No such directory.")
    token = (
        AccessToken.objects.usable_by(request.user, function.instance)
        .filter(pk=row_id(request.GET.get("token")) or 0)
        .first()
    )
    context = {"entries": [], "problem": "", "kind_name": DIRECTORY_NAMES[kind]}
    checked_id = request.GET.get("id", "").strip()
    if token is None:
        context["problem"] = "Choose a token granted to you to search; typing an id works too."
    else:
        try:
            if checked_id:
                context["named"] = name_now(token, request.user, kind, checked_id)
            else:
                client = client_for(token, request.user)
                context["entries"] = client.search_directory(kind, request.GET.get("q", ""))
                DirectoryName.remember(token, kind, context["entries"])
        except PermissionDeniedError:
            context["problem"] = (
                f"This token's user may not list {DIRECTORY_NAMES[kind]} on the instance; "
                "typing an id still works."
            )
        except (CodeEngineError, TokenDecryptionError) as error:
            context["problem"] = f"{error} Typing an id still works."
    if checked_id:
        context["checked_id"] = checked_id[:100]
        context["kind_singular"] = "DataSet" if kind == "dataset" else kind
        return render(request, "parameters/directory_named.html", context)
    return render(request, "parameters/directory_options.html", context)


def _editor_url(function: Function) -> str:
    return reverse("runs:function_editor", args=[function.pk])


def _function_page(
    request,
    function: Function,
    *,
    editor: InputsEditor | None = None,
    options_form=None,
    part: str = "",
) -> HttpResponse:
    """The function's page; unless given, the editor and options start from a past run,
    a preset or the user's last inputs."""
    start = _starting_point(request, function)
    as_typed = editor is not None  # a posted form shown again: what it holds was typed
    if editor is None:
        editor = InputsEditor(function.parameters, values=start["values"])
        if start["run"] is not None:
            editor.report_misfits(start["values"] or {})
    if options_form is None:
        options_form = RunOptionsForm(function, request.user, initial=start["options"])
    context = {
        "function": function,
        "options_form": options_form,
        "editor": editor,
        "editor_url": _editor_url(function),
        "as_typed": as_typed,
        "from_run": start["run"],
        "from_preset": start["preset"],
        "from_last": start["last"],
        "presets": function.presets.select_related("created_by"),
        "key_inputs_form": KeyInputsForm(function),
        "recent_executions": _recent_executions(function),
        "test_cases": function.test_cases.all(),
        "newer_version": ReleaseNews(request.user).newer_version(function),
        "app_call": function.app_call(start["values"]),
    }
    if part:
        return render(request, f"runs/function_run.html#{part}", context)
    context.update(
        _panel_context(request, function, _panel_execution(function, request.GET.get("run")))
    )
    return render(request, "runs/function_run.html", context)


def _starting_point(request: HtmxHttpRequest, function: Function) -> dict:
    """What the form starts from: a past run (?from=), a preset (?preset=), or the inputs
    this user sent last. Never a token or a secret: only ids go in the URL."""
    start = {"values": None, "options": {}, "run": None, "preset": None, "last": None}
    if request.GET.get("defaults"):
        return start
    from_run = row_id(request.GET.get("from") or request.GET.get("run"))
    preset = row_id(request.GET.get("preset"))
    if from_run is not None:
        execution = function.executions.filter(pk=from_run).first()
        if execution:
            start.update(
                values=execution.input_variables,
                run=execution,
                options={"get_logs": execution.get_logs},
            )
            if execution.token_id:
                start["options"]["token"] = execution.token_id  # ignored unless granted
            return start
    if preset is not None:
        chosen = function.presets.filter(pk=preset).first()
        if chosen:
            start.update(values=chosen.input_variables, preset=chosen)
            return start
    last = function.executions.filter(requested_by=request.user).only("input_variables").first()
    if last is not None:
        start.update(values=last.input_variables, last=last)
    return start


def _save_preset(request: HtmxHttpRequest, function: Function, name: str, values: dict):
    name = name.strip()
    if not name or not_one_line(name):
        messages.error(request, ONE_LINE_REFUSAL if name else "Give the preset a name.")
        return redirect("runs:function_run", function.pk)
    try:
        with transaction.atomic():  # a savepoint: a duplicate name must not break the request
            preset = InputPreset.objects.create(
                function=function,
                name=name[:100],
                input_variables=values,
                created_by=request.user,
            )
    except IntegrityError:
        messages.error(request, f'A preset named "{name}" already exists for this function.')
        return redirect("runs:function_run", function.pk)
    messages.success(request, f'Saved the inputs as preset "{preset.name}".')
    return redirect(f"{reverse('runs:function_run', args=[function.pk])}?preset={preset.pk}")


# --- One execution ------------------------------------------------------------------------


def _execution(execution_id: int) -> Execution:
    return get_object_or_404(
        Execution.objects.select_related("function", "instance", "requested_by", "token"),
        pk=execution_id,
    )


@role_required(Role.VIEWER)
@require_GET
def execution_detail(request: HtmxHttpRequest, execution_id: int) -> HttpResponse:
    if request.htmx:
        return _live_run(request, execution_id)
    execution = _execution(execution_id)
    context = _live_context(execution)
    if execution.function:
        context["app_call"] = execution.function.app_call(execution.input_variables)
        context["prefilled_form_url"] = (
            reverse("runs:function_run", args=[execution.function_id]) + f"?from={execution.pk}"
        )
    context.update(
        input_names=input_names(execution, names_for([execution], UsableTokens(request.user))),
        curl=curl_snippet(execution),
        httpx=httpx_snippet(execution),
        rerun_key=uuid.uuid4(),
    )
    return render(request, "runs/execution_detail.html", context)


def _live_run(request: HtmxHttpRequest, execution_id: int) -> HttpResponse:
    """The live part of a run's page, once it shows something new (a long-poll)."""
    get_object_or_404(Execution.objects.only("pk"), pk=execution_id)
    state_of = partial(_run_state, execution_id)
    state, at_once = wait_for_news(request.GET.get("seen"), state_of, [execution_id])
    if at_once and state.startswith(ExecutionStatus.RUNNING) and _was_queued(request):
        # Just started: most functions answer within moments, so the result is waited
        # for a little before showing "Running", instead of one more round trip.
        state, at_once = wait_for_news(state, state_of, [execution_id], timeout=RUNNING_SETTLE)
    context = _live_context(_execution(execution_id), at_once=at_once)
    return render(request, "runs/execution_live.html", context)


def _was_queued(request: HtmxHttpRequest) -> bool:
    return (request.GET.get("seen") or "").startswith(ExecutionStatus.QUEUED)


def _run_state(execution_id: int) -> str:
    row = Execution.objects.filter(pk=execution_id).values_list("status", "attempts").first()
    if row is None:
        return "gone"  # pruned meanwhile: the page is told it no longer exists
    return Execution(status=row[0], attempts=row[1]).live_state


def _live_context(execution: Execution, *, at_once: bool = True) -> dict:
    own_limit = time_limit(execution)
    limit = own_limit or FUNCTION_TIME_LIMIT_SECONDS
    context = {
        "execution": execution,
        "waiting_because": queue.why_waiting(execution),
        "limit_seconds": limit,
        "limit_words": _limit_words(limit),
        "own_limit": bool(own_limit),
        "live_delay": 0 if at_once else 1,
    }
    context.update(_outcome_context(execution))
    return context


def _limit_words(seconds: int) -> str:
    """ "5-minute", "90-second": as a limit is named before a noun."""
    if seconds >= 120 and seconds % 60 == 0:
        return f"{seconds // 60:,}-minute"
    return f"{seconds:,}-second"


@role_required(Role.MEMBER)
@require_POST
def stop_execution(request: HtmxHttpRequest, execution_id: int) -> HttpResponse:
    """Cancel a queued run, or stop waiting for a running one: its starter, or an admin."""
    execution = _execution(execution_id)
    if execution.requested_by_id != request.user.pk:
        require_role(request.user, Role.ADMIN)
    if not execution.stop():
        messages.info(request, "This run had already ended.")
    elif not request.htmx:
        messages.success(request, f"Run #{execution.pk}: {execution.get_status_display()}.")
    if request.htmx:
        return render(request, "runs/execution_live.html", _live_context(execution))
    return redirect("runs:execution_detail", execution.pk)


def _outcome_context(execution: Execution) -> dict:
    """How to show a finished run: result (tree, text or cut), logs, and explanations."""
    if not execution.is_finished:
        return {}
    result_text = indented(execution.result)
    size = len(result_text.encode())
    return {
        "result_size": size,
        "result_as_tree": size <= RESULT_TREE_LIMIT and isinstance(execution.result, dict | list),
        "result_text": result_text[:RESULT_SHOWN_LIMIT] if size > RESULT_TREE_LIMIT else None,
        "result_cut": size > RESULT_SHOWN_LIMIT,
        "log_lines_shown": LOG_LINES_SHOWN,
        "type_failure": result_type_failure(execution),
        "input_problems": input_problems(execution),
        "next_step": next_step_for(execution.error_code),
    }


@role_required(Role.VIEWER)
@require_GET
def execution_result(request: HtmxHttpRequest, execution_id: int) -> HttpResponse:
    """The whole result as a JSON file, whatever its size."""
    execution = _execution(execution_id)
    if not execution.is_finished:
        raise Http404("This run has not finished.")
    response = HttpResponse(
        indented(execution.result),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="execution-{execution.pk}-result.json"'
    return response


@role_required(Role.VIEWER)
@require_GET
def execution_log(request: HtmxHttpRequest, execution_id: int, stream: str) -> HttpResponse:
    execution = _execution(execution_id)
    entries = execution.stdout_log if stream == "stdout" else execution.stderr_log
    text = "\n".join(
        entry if isinstance(entry, str) else one_line(entry) for entry in entries or []
    )
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="execution-{execution.pk}-{stream}.txt"'
    return response


@role_required(Role.MEMBER)
@require_POST
def run_again(request: HtmxHttpRequest, execution_id: int) -> HttpResponse:
    """The same function, version and inputs, one click; the same token when still usable."""
    execution = _execution(execution_id)
    function = execution.function
    if function is None:
        messages.error(request, "The function of this run was deleted: it cannot run again.")
        return redirect("runs:execution_detail", execution.pk)
    usable = AccessToken.objects.usable_by(request.user, function.instance)
    token = usable.filter(pk=execution.token_id).first() or usable.first()
    if token is None:
        messages.error(request, "No token of this instance is granted to you: ask an admin.")
        return redirect("runs:execution_detail", execution.pk)
    key = request.POST.get("submission_id", "")
    try:
        rerun = start_run(
            function,
            execution.input_variables or {},
            token,
            request.user,
            RunSource.RUN_AGAIN,
            version=execution.version,
            idempotency_key=uuid.UUID(key) if _is_uuid(key) else None,
            get_logs=execution.get_logs,
        )
    except RunNotAllowed as refusal:
        raise PermissionDenied(with_next_step(refusal)) from None
    except InputsDoNotFit:
        messages.error(
            request,
            "These inputs no longer fit the function's definition: correct them here, then run.",
        )
        return redirect(f"{reverse('runs:function_run', args=[function.pk])}?from={execution.pk}")
    return redirect("runs:execution_detail", rerun.pk)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


@role_required(Role.MEMBER)
@require_POST
def save_execution_preset(request: HtmxHttpRequest, execution_id: int) -> HttpResponse:
    execution = _execution(execution_id)
    if execution.function is None:
        raise Http404("The function of this run was deleted.")
    return _save_preset(
        request, execution.function, request.POST.get("preset_name", ""), execution.input_variables
    )


@role_required(Role.VIEWER)
@require_GET
def compare_executions(request: HtmxHttpRequest) -> HttpResponse:
    """Two runs side by side: inputs and results as structural differences."""
    ids = [row_id(request.GET.get(side)) for side in ("a", "b")]
    if ids[0] is None:
        raise Http404("Choose the runs to compare.")
    left = _execution(ids[0])
    if ids[1] is None:
        candidates = (
            Execution.objects.select_related("requested_by")
            .defer(*history.LARGE_COLUMNS)
            .exclude(pk=left.pk)
            .filter(function_name=left.function_name)[:20]
        )
        return render(request, "runs/compare.html", {"left": left, "candidates": candidates})
    right = _execution(ids[1])
    names = names_for([left, right], UsableTokens(request.user))
    left_names = {each["input"]: each for each in input_names(left, names)}
    right_names = {each["input"]: each for each in input_names(right, names)}
    context = {
        "left": left,
        "right": right,
        "named_inputs": [
            (name, left_names.get(name), right_names.get(name))
            for name in dict.fromkeys([*left_names, *right_names])
        ],
        "input_differences": _shown_differences(
            json_differences(left.input_variables, right.input_variables)
        ),
        "result_differences": _shown_differences(json_differences(left.result, right.result)),
        "left_result": _drawn_whole(left.result),
        "right_result": _drawn_whole(right.result),
    }
    return render(request, "runs/compare.html", context)


# A comparison draws at most this many differences, and results whole only up to this
# size: two large results would otherwise make a page of hundreds of megabytes.
COMPARED_DIFFERENCES = 500
COMPARED_RESULT_CHARACTERS = 200_000


def _shown_differences(differences: list) -> dict:
    return {
        "shown": differences[:COMPARED_DIFFERENCES],
        "more": max(0, len(differences) - COMPARED_DIFFERENCES),
    }


def _drawn_whole(result) -> str | None:
    """The result indented, or None when it is too large to draw beside another."""
    text = indented(result)
    return text if len(text) <= COMPARED_RESULT_CHARACTERS else None


# --- The history --------------------------------------------------------------------------


@role_required(Role.VIEWER)
@require_GET
def execution_list(request: HtmxHttpRequest) -> HttpResponse:
    """The team's runs, newest first; filters in the URL, pages continue with ?before=."""
    filters = HistoryFilterForm(request.GET or None)
    executions = filters.apply(history.history_queryset(), request.user)
    before = row_id(request.GET.get("before"))
    page = newest_first(executions, before, history.PAGE_SIZE)
    tokens = UsableTokens(request.user)  # read once for the names and the releases
    names = names_for(page.rows, tokens, key_inputs=True)
    news = ReleaseNews(request.user, tokens=tokens)
    for execution in page.rows:
        execution.newer_version = news.newer_than(execution.function, execution.version)
    query = request.GET.copy()
    query.pop("before", None)
    without_window = query.copy()
    for name in ("start", "end"):
        without_window.pop(name, None)
    context = {
        "filters": filters,
        "page": page,
        "rows": [(e, history.key_input_labels(e, names)) for e in page.rows],
        "query": query.urlencode(),
        "query_without_window": without_window.urlencode(),
        "is_first_page": before is None,
        "live": _live_rows(page.rows),
    }
    return render(request, "runs/execution_list.html", context)


@role_required(Role.VIEWER)
@require_GET
def history_live(request: HtmxHttpRequest) -> HttpResponse:
    """The history's rows of runs in flight (?run=), once one of them changes (a
    long-poll): the changed rows, and the next question for those still in flight."""
    ids = [pk for pk in map(row_id, request.GET.getlist("run")) if pk is not None]
    ids = ids[: history.PAGE_SIZE]
    _state, at_once = wait_for_news(request.GET.get("seen"), partial(_rows_state, ids), ids)
    rows = list(history.history_queryset().filter(pk__in=ids))
    tokens = UsableTokens(request.user)
    names = names_for(rows, tokens, key_inputs=True)
    news = ReleaseNews(request.user, tokens=tokens)
    for execution in rows:
        execution.newer_version = news.newer_than(execution.function, execution.version)
    context = {
        "changed_rows": [(e, history.key_input_labels(e, names)) for e in rows],
        "live": _live_rows(rows, at_once=at_once),
    }
    return render(request, "runs/execution_list.html#history-live", context)


def _rows_state(ids: list[int]) -> str:
    rows = (
        Execution.objects.filter(pk__in=ids).order_by("pk").values_list("pk", "status", "attempts")
    )
    return ";".join(
        f"{pk}:{Execution(status=status, attempts=attempts).live_state}"
        for pk, status, attempts in rows
    )


def _live_rows(rows: list[Execution], *, at_once: bool = True) -> dict:
    """What a page of runs asks the server for: news of those of its rows in flight."""
    in_flight = sorted(execution.pk for execution in rows if not execution.is_finished)
    return {
        "ids": in_flight,
        "state": _rows_state(in_flight) if in_flight else "",
        "delay": 0 if at_once else 1,
    }


@role_required(Role.VIEWER)
@require_GET
def export_executions(request: HtmxHttpRequest, file_format: str) -> StreamingHttpResponse:
    if file_format not in history.EXPORT_FORMATS:
        raise Http404("Export as .csv or .jsonl.")
    filters = HistoryFilterForm(request.GET or None)
    executions = filters.apply(history.history_queryset(), request.user)
    return history.export_response(executions, file_format, UsableTokens(request.user))


# --- Health -------------------------------------------------------------------------------


@login_not_required
@never_cache
@require_GET
def health(request: HtmxHttpRequest) -> HttpResponse:
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
        stalled = stalled_runs()
        if stalled:
            report["runs"]["stalled"] = stalled
    except Exception as error:
        report["database"]["error"] = type(error).__name__
    healthy = report["database"]["ok"] and report["worker"]["ok"]
    report["status"] = "ok" if healthy else "unavailable"
    response = JsonResponse(report, status=200 if healthy else 503)
    if not report["database"]["ok"]:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
