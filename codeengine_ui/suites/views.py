import re
from functools import partial
from xml.etree import ElementTree

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from codeengine_ui.access.roles import Role, require_role, role_required
from codeengine_ui.catalog.models import Function
from codeengine_ui.htmx_requests import HtmxHttpRequest
from codeengine_ui.json_text import indented, same_json
from codeengine_ui.request_values import row_id
from codeengine_ui.runs.live import wait_for_news
from codeengine_ui.runs.models import Execution

from .authority import acting_person
from .forms import (
    MAX_IGNORED_PATH_CHARACTERS,
    MAX_IGNORED_PATHS,
    CaseForm,
    MonitorForm,
    RunSuiteForm,
    SuiteForm,
)
from .models import SCHEDULE_FIELDS, Case, CaseResult, Suite, SuiteRun, Verdict, latest_runs
from .monitors import schedule
from .services import (
    JUDGED_WITHIN_SECONDS,
    SnapshotView,
    awaits_verdict,
    case_from_run,
    start_suite_run,
    state_of,
)


@role_required(Role.MEMBER)
@require_POST
def save_as_test(request: HtmxHttpRequest, execution_id: int) -> HttpResponse:
    """A run becomes a test case: its inputs, outcome and result (as the snapshot)."""
    execution = get_object_or_404(Execution, pk=execution_id)
    if execution.function_id is None or not execution.is_finished:
        messages.error(request, "Only a finished run of a saved function can become a test.")
        return redirect("runs:execution_detail", execution.pk)
    case, no_snapshot = case_from_run(execution, request.user, request.POST.get("name", ""))
    if no_snapshot:
        messages.warning(request, f"Saved the test “{case.name}”. {no_snapshot}")
    else:
        messages.success(
            request,
            f"Saved the test “{case.name}”. Mark paths whose values change from run to run "
            "(times, generated ids) as ignored, then add it to a suite.",
        )
    return redirect("suites:case_detail", case.pk)


@role_required(Role.MEMBER)
@require_POST
def new_case(request: HtmxHttpRequest, function_id: int) -> HttpResponse:
    """A test written from scratch: the definition's defaults and "it succeeds", to edit."""
    function = get_object_or_404(Function, pk=function_id)
    taken = set(function.test_cases.values_list("name", flat=True))
    name, number = "New test", 2
    while name in taken:
        name, number = f"New test ({number})", number + 1
    case = Case.objects.create(
        function=function,
        name=name,
        input_variables={p["name"]: p.get("default") for p in function.parameters},
        expectations=[{"kind": "outcome", "status": "SUCCESS"}],
        created_by=request.user,
    )
    messages.success(request, "Write the inputs and what the run must give, then save.")
    return redirect("suites:case_detail", case.pk)


@role_required(Role.VIEWER)
@require_http_methods(["GET", "POST"])
def case_detail(request: HtmxHttpRequest, case_id: int) -> HttpResponse:
    case = get_object_or_404(Case.objects.select_related("function", "created_by"), pk=case_id)
    form = CaseForm(request.POST or None, instance=case)
    if request.method == "POST":
        require_role(request.user, Role.MEMBER)
        if form.is_valid():
            form.save()
            messages.success(request, f"Saved the test “{case.name}”.")
            return redirect("suites:case_detail", case.pk)
    results = (
        CaseResult.objects.filter(case=case).select_related("suite_run__suite").order_by("-id")[:10]
    )
    context = {
        "case": case,
        "form": form,
        "results": results,
        "suites": case.suites.all(),
        "file_suites": case.suites.exclude(source_path=""),
        "snapshot": SnapshotView.of(case),
    }
    return render(request, "suites/case_detail.html", context)


@role_required(Role.VIEWER)
@require_GET
def case_snapshot(request: HtmxHttpRequest, case_id: int) -> HttpResponse:
    """The case's snapshot as a JSON file."""
    case = get_object_or_404(Case.objects.only("pk", "name", "snapshot"), pk=case_id)
    if case.snapshot is None:
        raise Http404("This test has no snapshot.")
    response = HttpResponse(indented(case.snapshot), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="test-{case.pk}-snapshot.json"'
    return response


@role_required(Role.MEMBER)
@require_POST
def delete_case(request: HtmxHttpRequest, case_id: int) -> HttpResponse:
    case = get_object_or_404(Case, pk=case_id)
    function_id = case.function_id
    case.delete()
    messages.success(request, f"Deleted the test “{case.name}”; earlier verdicts stay.")
    return redirect("runs:function_run", function_id)


INDEX = re.compile(r"\[\d+\]")
# Characters XML 1.0 has no place for (a NUL in a message would make the report unreadable
# to every CI tool): each becomes U+FFFD.
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@role_required(Role.MEMBER)
@require_POST
def ignore_path(request: HtmxHttpRequest, case_id: int) -> HttpResponse:
    """One click on a difference: its path (every item's, in a list) is ignored from now."""
    case = get_object_or_404(Case, pk=case_id)
    path = INDEX.sub("[*]", request.POST.get("path", "").strip())[:MAX_IGNORED_PATH_CHARACTERS]
    if len(case.ignore_paths) >= MAX_IGNORED_PATHS:
        messages.error(request, f"“{case.name}” already ignores {MAX_IGNORED_PATHS} paths.")
    elif path and path not in case.ignore_paths:
        case.ignore_paths = [*case.ignore_paths, path]
        case.save(update_fields=["ignore_paths", "updated_at"])
        messages.success(request, f"“{case.name}” now ignores {path}.")
    back = request.POST.get("next", "")
    if back.startswith("/") and not back.startswith("//"):
        return redirect(back)
    return redirect("suites:case_detail", case.pk)


@role_required(Role.VIEWER)
@require_http_methods(["GET", "POST"])
def suite_list(request: HtmxHttpRequest) -> HttpResponse:
    form = SuiteForm(request.POST or None)
    if request.method == "POST":
        require_role(request.user, Role.MEMBER)
        if form.is_valid():
            suite = form.save(commit=False)
            suite.created_by = request.user
            suite.save()
            form.save_m2m()
            messages.success(request, f"Created the suite “{suite.name}”.")
            return redirect("suites:suite_detail", suite.pk)
    suites = Suite.objects.annotate(case_count=Count("cases", distinct=True)).select_related(
        "source_pushed_by"
    )
    latest = latest_runs(suites)
    rows = [(suite, latest.get(suite.pk)) for suite in suites]
    return render(request, "suites/suite_list.html", {"rows": rows, "form": form})


@role_required(Role.VIEWER)
@require_http_methods(["GET", "POST"])
def suite_detail(request: HtmxHttpRequest, suite_id: int) -> HttpResponse:
    suite = get_object_or_404(Suite, pk=suite_id)
    run_form = RunSuiteForm(request.POST or None)
    if request.method == "POST":
        require_role(request.user, Role.MEMBER)
        if run_form.is_valid():
            data = run_form.cleaned_data
            suite_run = start_suite_run(
                suite, request.user, version=data["version"], instance=data["instance"]
            )
            return redirect("suites:suite_run", suite_run.pk)
    return _suite_page(request, suite, run_form, MonitorForm(instance=suite, prefix="monitor"))


def _suite_page(request, suite: Suite, run_form, monitor_form) -> HttpResponse:
    runs = suite.runs.annotate(
        passed=Count("results", filter=Q(results__verdict=Verdict.PASS)),
        total=Count("results"),
    )[:20]
    context = {
        "suite": suite,
        "file_suites": [suite] if suite.from_files else [],
        "cases": suite.cases.select_related("function"),
        "authority": acting_person(suite) if suite.is_monitor else None,
        "runs": runs,
        "run_form": run_form,
        "monitor_form": monitor_form,
    }
    return render(request, "suites/suite_detail.html", context)


@role_required(Role.MEMBER)
@require_POST
def suite_monitor(request: HtmxHttpRequest, suite_id: int) -> HttpResponse:
    """Put a suite on a schedule (or off it), and say who hears about it."""
    suite = get_object_or_404(Suite, pk=suite_id)
    form = MonitorForm(request.POST, instance=suite, prefix="monitor")
    if form.is_valid():
        monitored = form.save(commit=False)
        # Saved as it was, the schedule keeps its next slot: saving again and again must
        # not put a monitor's run off for ever.
        if set(form.changed_data) & SCHEDULE_FIELDS or monitored.next_run_at is None:
            schedule(monitored)
        monitored.save()
        if monitored.next_run_at:
            when = timezone.localtime(monitored.next_run_at).strftime("%d %b %Y, %H:%M")
            messages.success(request, f"“{suite.name}” is a monitor: next run {when}.")
        else:
            messages.success(request, f"“{suite.name}” runs only when asked now.")
        return redirect("suites:suite_detail", suite.pk)
    return _suite_page(request, suite, RunSuiteForm(), form)


@role_required(Role.VIEWER)
@require_GET
def suite_run(request: HtmxHttpRequest, suite_run_id: int) -> HttpResponse:
    """A suite run's verdicts, filled in live: the page asks until every case has one."""
    suite_run = get_object_or_404(SuiteRun.objects.select_related("suite"), pk=suite_run_id)
    at_once = True
    if request.htmx:
        ids = list(suite_run.results.exclude(execution=None).values_list("execution_id", flat=True))
        # A case whose run has ended is judged by a worker within moments: look again soon.
        soon = JUDGED_WITHIN_SECONDS if awaits_verdict(suite_run) else None
        _state, at_once = wait_for_news(
            request.GET.get("seen"), partial(state_of, suite_run), ids, timeout=soon
        )
    results = list(suite_run.results.select_related("execution"))
    context = {
        "suite_run": suite_run,
        "results": results,
        "other_runs": suite_run.suite.runs.exclude(pk=suite_run.pk).select_related("instance")[:20]
        if suite_run.suite_id
        else [],
        "counts": _counts(results),
        "state": state_of(suite_run),
        "live_delay": 0 if at_once else 1,
    }
    template = "suites/suite_run.html#suite-run-live" if request.htmx else "suites/suite_run.html"
    return render(request, template, context)


def _counts(results: list[CaseResult]) -> dict[str, int]:
    counts = {verdict.value: 0 for verdict in Verdict}
    for result in results:
        counts[result.verdict] += 1
    return counts


@role_required(Role.VIEWER)
@require_GET
def suite_run_junit(request: HtmxHttpRequest, suite_run_id: int) -> HttpResponse:
    """The suite run as JUnit XML, for CI."""
    suite_run = get_object_or_404(SuiteRun.objects.select_related("suite"), pk=suite_run_id)
    results = list(suite_run.results.select_related("execution"))
    counts = _counts(results)
    url = request.build_absolute_uri(reverse("suites:suite_run", args=[suite_run.pk]))
    testsuite = ElementTree.Element(
        "testsuite",
        name=suite_run.title,
        tests=str(len(results)),
        failures=str(counts[Verdict.FAIL]),
        errors=str(counts[Verdict.ERROR]),
        skipped=str(counts[Verdict.PENDING]),
        time=_seconds(sum(_duration(result) for result in results)),
        timestamp=suite_run.started_at.replace(microsecond=0, tzinfo=None).isoformat(),
    )
    for result in results:
        testcase = ElementTree.SubElement(
            testsuite,
            "testcase",
            name=result.case_name,
            classname=result.function_name,
            time=_seconds(_duration(result)),
        )
        messages_text = "\n".join(unmet.get("message", "") for unmet in result.unmet)
        if result.verdict == Verdict.FAIL:
            failure = ElementTree.SubElement(
                testcase, "failure", message=messages_text.split("\n")[0], type="unmet"
            )
            failure.text = messages_text
        elif result.verdict == Verdict.ERROR:
            error = ElementTree.SubElement(
                testcase, "error", message=messages_text.split("\n")[0], type="error"
            )
            error.text = messages_text
        elif result.verdict == Verdict.PENDING:
            ElementTree.SubElement(testcase, "skipped", message="still running")
        out = ElementTree.SubElement(testcase, "system-out")
        out.text = f"{url} run #{result.execution_id}" if result.execution_id else url
    body = XML_FORBIDDEN.sub(
        "\ufffd", ElementTree.tostring(testsuite, encoding="unicode", xml_declaration=True)
    )
    response = HttpResponse(body, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="suite-run-{suite_run.pk}.xml"'
    return response


def _duration(result: CaseResult) -> float:
    execution = result.execution
    if execution is None or execution.duration is None:
        return 0.0
    return execution.duration.total_seconds()


def _seconds(value: float) -> str:
    return f"{value:.3f}"


@role_required(Role.VIEWER)
@require_GET
def compare_suite_runs(request: HtmxHttpRequest) -> HttpResponse:
    """Two runs of a suite side by side (a version against another, staging against
    production): each case's verdict and result on A and on B, what changed marked."""
    runs = SuiteRun.objects.select_related("suite", "instance")
    a = get_object_or_404(runs, pk=row_id(request.GET.get("a")) or 0)
    b = get_object_or_404(runs, pk=row_id(request.GET.get("b")) or 0)
    left = {result.case_name: result for result in a.results.select_related("execution")}
    right = {result.case_name: result for result in b.results.select_related("execution")}
    rows = []
    for name in [*left, *(name for name in right if name not in left)]:
        one, other = left.get(name), right.get(name)
        one_result = one.execution.result if one and one.execution else None
        other_result = other.execution.result if other and other.execution else None
        rows.append(
            {
                "case": name,
                "a": one,
                "b": other,
                "a_result": one_result,
                "b_result": other_result,
                "verdict_changed": (one and one.verdict) != (other and other.verdict),
                "result_changed": not same_json(one_result, other_result),
            }
        )
    changed = sum(row["verdict_changed"] or row["result_changed"] for row in rows)
    context = {"a": a, "b": b, "rows": rows, "changed": changed}
    return render(request, "suites/compare.html", context)
