"""Running suites and judging their runs.

`start_suite_run` queues a normal run of each case (source `suite`, the suite run's uuid as
batch id), so the worker runs them in parallel within its limits and the history shows
them. `judge` gives each finished run its verdict; it is called whenever a suite run is
read (the page asks until every case has one), so nothing waits on the worker for it.
"""

from typing import Any

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from codeengine_ui.catalog.models import Function
from codeengine_ui.runs.models import DOMO_STATUSES, Execution, RunSource
from codeengine_ui.runs.services import InputsDoNotFit, RunRefused, start_run

from .expectations import RunFacts, unmet
from .models import Case, CaseResult, Suite, SuiteRun, Verdict


def case_from_run(execution: Execution, user, name: str = "") -> Case:
    """ "Save as test": the run's inputs, its outcome, and its result as the snapshot."""
    expectations: list[dict] = [{"kind": "outcome", "status": execution.status}]
    if execution.has_result:
        expectations.append({"kind": "snapshot"})
    base = name.strip()[:180] or f"{execution.function_name} as in run #{execution.pk}"
    taken = set(
        Case.objects.filter(function_id=execution.function_id, name__startswith=base).values_list(
            "name", flat=True
        )
    )
    chosen, number = base, 2
    while chosen in taken:
        chosen, number = f"{base} ({number})", number + 1
    return Case.objects.create(
        function_id=execution.function_id,
        name=chosen,
        input_variables=execution.input_variables or {},
        expectations=expectations,
        snapshot=execution.result if execution.has_result else None,
        created_by=user,
    )


def start_suite_run(
    suite: Suite, user, *, version: str = "", instance=None, scheduled: bool = False
) -> SuiteRun:
    """Queue a run of every case of the suite (on `version`, or on `instance`'s copy of each
    function, when given); a case that cannot start is an error."""
    cases = list(suite.cases.select_related("function__instance", "function__default_token"))
    suite_run = SuiteRun.objects.create(
        suite=suite,
        started_by=user,
        version=version.strip(),
        instance=instance,
        scheduled=scheduled,
    )
    results = []
    for case in cases:
        result = CaseResult(
            suite_run=suite_run,
            case=case,
            case_name=case.name,
            function_name=case.function.label,
        )
        try:
            function = _function_on(case.function, instance)
            token = function.token_for(user)
            if token is None:
                raise RunRefused("No token of this function's instance is granted to you.")
            with transaction.atomic():
                result.execution = start_run(
                    function,
                    case.input_variables,
                    token,
                    user,
                    RunSource.SUITE,
                    version=suite_run.version or None,
                    batch_id=suite_run.uuid,
                )
        except InputsDoNotFit as misfit:
            result.verdict = Verdict.ERROR
            result.unmet = [
                {"message": f"The case's inputs no longer fit: {path}: {message}."}
                for path, message in misfit.problems
            ]
        except RunRefused as refusal:
            result.verdict = Verdict.ERROR
            result.unmet = [{"message": f"The run could not start: {refusal}"}]
        results.append(result)
    CaseResult.objects.bulk_create(results)
    if not cases:
        suite_run.finished_at = timezone.now()
        suite_run.save(update_fields=["finished_at"])
    return suite_run


def _function_on(function: Function, instance) -> Function:
    """The same package's function saved on `instance` (the version pinned there)."""
    if instance is None or instance.pk == function.instance_id:
        return function
    there = (
        Function.objects.select_related("instance", "default_token")
        .filter(instance=instance, package_id=function.package_id)
        .filter(function_name=function.function_name)
        .order_by("-updated_at")
    )
    found = there.filter(version=function.version).first() or there.first()
    if found is None:
        raise RunRefused(
            f"{function.function_name} of this package is not saved on {instance}: import it "
            "there first."
        )
    return found


def judge(suite_run: SuiteRun) -> list[CaseResult]:
    """The suite run's results, each finished run judged once; the suite run ends when the
    last one is."""
    results = list(
        suite_run.results.select_related("case__function").prefetch_related(
            Prefetch("execution", queryset=Execution.objects.all())
        )
    )
    judged = []
    for result in results:
        execution = result.execution
        if result.verdict != Verdict.PENDING:
            continue
        if execution is None:  # its run was pruned before it was judged
            result.verdict, result.unmet = Verdict.ERROR, [{"message": "Its run was deleted."}]
        elif not execution.is_finished:
            continue
        else:
            result.verdict, result.unmet = verdict_of(result.case, execution)
        judged.append(result)
    if judged:
        now = timezone.now()
        with transaction.atomic():
            CaseResult.objects.bulk_update(judged, ["verdict", "unmet"])
            for result in judged:
                if result.case is None:
                    continue
                result.case.last_verdict, result.case.last_run_at = result.verdict, now
                if result.verdict == Verdict.PASS:
                    result.case.last_passed_at = now
                result.case.save(update_fields=["last_verdict", "last_run_at", "last_passed_at"])
    if not suite_run.is_finished and all(r.verdict != Verdict.PENDING for r in results):
        suite_run.finished_at = timezone.now()
        suite_run.save(update_fields=["finished_at"])
    return results


def verdict_of(case: Case | None, execution: Execution) -> tuple[str, list[dict]]:
    """Pass when every expectation is met; fail when one is not; error when no answer came
    back from Code Engine and the case did not expect that."""
    if case is None:
        return Verdict.ERROR, [{"message": "The case was deleted before its run was judged."}]
    expects_status = {
        e.get("status", "SUCCESS") for e in case.expectations if e.get("kind") == "outcome"
    }
    if execution.status not in DOMO_STATUSES and execution.status not in expects_status:
        message = execution.error_message or execution.status_explanation
        return Verdict.ERROR, [{"message": f"No answer from Code Engine: {message}"}]
    duration = execution.duration
    facts = RunFacts(
        status=execution.status,
        result=execution.result,
        stdout=execution.stdout_log or [],
        stderr=execution.stderr_log or [],
        duration_ms=round(duration.total_seconds() * 1000) if duration is not None else None,
    )
    function: Function = case.function
    failures = unmet(
        case.expectations,
        facts,
        snapshot=case.snapshot,
        ignore_paths=case.ignore_paths,
        output=function.output,
    )
    if not failures:
        return Verdict.PASS, []
    return Verdict.FAIL, [_stored(failure) for failure in failures]


def _stored(failure) -> dict[str, Any]:
    return {
        "expectation": failure.expectation,
        "message": failure.message,
        "found": failure.found,
        "differences": [
            {"path": d.path, "kind": d.kind, "left": d.left, "right": d.right}
            for d in failure.differences[:200]
        ],
        "more_differences": max(0, len(failure.differences) - 200),
    }


def state_of(suite_run: SuiteRun) -> str:
    """What a page or a client following the suite run has seen: it changes when a case's
    run changes status or gets its verdict."""
    statuses = suite_run.results.order_by("id").values_list("verdict", "execution__status")
    return ";".join(f"{verdict}:{status}" for verdict, status in statuses)


def judged_state(suite_run: SuiteRun) -> str:
    """The state after judging what has finished: what a waiting page compares, since a
    finished run changes nothing more until it is judged."""
    judge(suite_run)
    return state_of(suite_run)


def run_on_new_release(sender, *, function: Function, version: str, **kwargs) -> None:
    """A newer release of `function` was found: the suites that test it and asked for it
    run on that version, once per version."""
    suites = Suite.objects.filter(run_on_new_version=True, cases__function=function).distinct()
    for suite in suites:
        if suite.runs.filter(version=version).exists():
            continue
        user = suite.run_as or suite.created_by
        if user is not None:
            start_suite_run(suite, user, version=version)


def release_check(function: Function) -> dict | None:
    """How the suites did on the function's newer released version, for its page:
    {"version", "passed", "total", "suite_run"} (None when not run on it yet)."""
    if not function.is_outdated:
        return None
    suite_run = (
        SuiteRun.objects.filter(version=function.newest_version, results__case__function=function)
        .order_by("-id")
        .first()
    )
    if suite_run is None:
        return None
    results = judge(suite_run)
    passed = sum(result.verdict == Verdict.PASS for result in results)
    return {"version": function.newest_version, "passed": passed, "total": len(results),
            "regressions": len(results) - passed, "suite_run": suite_run,
            "finished": suite_run.is_finished}  # fmt: skip
