"""The overview pages: the home page (is everything working? counts, a chart, the runs to
look at) and the function list with the trend of each function's last runs."""

from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from codeengine_ui.access.roles import Role, has_role, role_of, role_required
from codeengine_ui.catalog.models import AccessToken, Function, Instance
from codeengine_ui.htmx_requests import HtmxHttpRequest
from codeengine_ui.request_values import row_id
from codeengine_ui.runs.live import wait_for_news
from codeengine_ui.runs.models import OUTCOME_DESCRIPTIONS
from codeengine_ui.suites.models import MonitorState, Suite, SuiteRun, Verdict, latest_runs

from . import stats
from .charts import runs_chart, sparkline
from .impact import token_impact


@role_required(Role.NONE)
@require_GET
def home(request: HtmxHttpRequest) -> HttpResponse:
    if role_of(request.user) == Role.NONE:
        return render(request, "dashboard/no_role.html")
    if not Function.objects.exists():
        return render(request, "dashboard/getting_started.html", _first_steps(request.user))
    chart_range = request.GET.get("range", "")
    if chart_range not in stats.RANGES:
        chart_range = stats.DEFAULT_RANGE
    summary = stats.summary(chart_range)
    history_url = reverse("runs:execution_list")
    context = {
        "summary": summary,
        "chart": runs_chart(summary.buckets, chart_range, history_url),
        "chart_range": chart_range,
        "range_label": stats.RANGES[chart_range],
        "ranges": stats.RANGES,
        "outcomes": [(outcome, OUTCOME_DESCRIPTIONS[outcome]) for outcome in OUTCOME_DESCRIPTIONS],
        "in_flight": stats.in_flight(),
        "in_flight_delay": 0,
        "history_url": history_url,
    }
    if (
        request.htmx
        and request.htmx.target == "runs-chart"
        and not request.htmx.history_restore_request
    ):
        return render(request, "dashboard/home.html#runs-chart", context)
    context.update(
        my_runs=stats.recent_runs_of(request.user),
        failed_runs=stats.recently_failed(),
        monitors=_monitors(),
        suite_runs=SuiteRun.objects.select_related("suite").annotate(
            passed=Count("results", filter=Q(results__verdict=Verdict.PASS)),
            total=Count("results"),
        )[:5],
        outdated_functions=stats.outdated_functions(request.user),
    )
    if has_role(request.user, Role.ADMIN):
        context["tokens_needing_attention"] = [
            (token, token_impact(token)) for token in AccessToken.objects.needing_attention()
        ]
    return render(request, "dashboard/home.html", context)


@role_required(Role.VIEWER)
@require_GET
def function_list(request: HtmxHttpRequest) -> HttpResponse:
    """Every saved function (or those of one import, ?imported=), with the durations and
    failures of its last runs."""
    search = request.GET.get("q", "").strip()[:200]
    group = request.GET.get("group", "")
    if group not in FUNCTION_GROUPS:
        group = ""
    imported = imported_ids(request.GET.get("imported", ""))
    functions = Function.objects.for_user_list(request.user).matching(search)
    if imported:
        functions = functions.filter(pk__in=imported)
    if group:
        functions = functions.order_by(*FUNCTION_GROUPS[group], "display_name", "function_name")
    functions = list(functions)
    recent = stats.recent_runs_by_function([function.pk for function in functions])
    history_url = reverse("runs:execution_list")
    rows = [(f, sparkline(f.pk, recent[f.pk], history_url)) for f in functions]
    context = {
        "rows": rows,
        "search": search,
        "group": group,
        "imported": ",".join(map(str, imported)),
        "has_functions": bool(rows) or Function.objects.exists(),
    }
    if request.htmx and request.htmx.target == "function-results":
        return render(request, "dashboard/function_list.html#function-results", context)
    return render(request, "dashboard/function_list.html", context)


MAX_IMPORTED_SHOWN = 500


def imported_ids(text: str) -> list[int]:
    """The functions of one import, as its link names them (ids, comma-separated); what is
    not an id is ignored."""
    parts = text.split(",", MAX_IMPORTED_SHOWN)[:MAX_IMPORTED_SHOWN]
    ids = (row_id(part.strip()) for part in parts)
    return sorted({pk for pk in ids if pk is not None})


# Groupings of the function list, as the ordering each needs.
FUNCTION_GROUPS = {
    "instance": ("instance__name",),
    "package": ("instance__name", "package_id"),
}


@role_required(Role.VIEWER)
@require_GET
def function_switcher(request: HtmxHttpRequest) -> HttpResponse:
    """Every saved function, starred first, for the Ctrl/Cmd+K switcher to filter."""
    functions = Function.objects.for_user_list(request.user)
    return render(request, "dashboard/function_switcher.html", {"functions": functions})


@role_required(Role.VIEWER)
@require_POST
def toggle_star(request: HtmxHttpRequest, function_id: int) -> HttpResponse:
    function = get_object_or_404(Function, pk=function_id)
    function.is_starred = not function.starred_by.filter(pk=request.user.pk).exists()
    if function.is_starred:
        function.starred_by.add(request.user)
    else:
        function.starred_by.remove(request.user)
    if request.htmx:
        return render(request, "dashboard/function_list.html#star-button", {"function": function})
    return redirect("dashboard:function_list")


@role_required(Role.VIEWER)
@require_GET
def in_flight(request: HtmxHttpRequest) -> HttpResponse:
    """The count of runs in flight, once it changes (a long-poll)."""
    count, at_once = wait_for_news(request.GET.get("seen"), lambda: str(stats.in_flight()), None)
    context = {
        "in_flight": count,
        "in_flight_delay": 0 if at_once else 1,
        "history_url": reverse("runs:execution_list"),
    }
    return render(request, "dashboard/home.html#in-flight", context)


def _monitors() -> list:
    """Suites on a schedule, failing first, each with its last scheduled run."""
    monitors = sorted(
        Suite.objects.exclude(schedule=""),
        key=lambda monitor: (monitor.monitor_state != MonitorState.FAILING, monitor.name),
    )
    last = latest_runs(monitors, scheduled=True)
    return [(monitor, last.get(monitor.pk)) for monitor in monitors]


def _first_steps(user) -> dict:
    """What a new install has and lacks, so the page can say what to do next."""
    return {
        "has_instance": Instance.objects.exists(),
        "has_token": AccessToken.objects.exists(),
        "may_manage": has_role(user, Role.ADMIN),
    }


@role_required(Role.ADMIN)
@require_GET
def token_impact_page(request: HtmxHttpRequest, token_id: int) -> HttpResponse:
    """What would break if this token stopped working (or has)."""
    token = get_object_or_404(AccessToken.objects.select_related("instance"), pk=token_id)
    context = {"token": token, "impact": token_impact(token)}
    return render(request, "dashboard/token_impact.html", context)
