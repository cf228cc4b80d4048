"""Suites through the API: list them, run one (on another version if asked), follow the
verdicts, and fetch the JUnit XML for CI."""

import time
from functools import partial

from django.db.models import Count, Q
from django.http import HttpResponse
from ninja import Router, Status

from codeengine_ui.catalog.models import Instance
from codeengine_ui.runs.live import wait_for_news
from codeengine_ui.suites.models import CaseResult, Suite, SuiteRun, Verdict
from codeengine_ui.suites.services import (
    JUDGED_WITHIN_SECONDS,
    awaits_verdict,
    start_suite_run,
    state_of,
)
from codeengine_ui.suites.views import suite_run_junit

from .limits import ask_again_later, waiting
from .problems import Problem

router = Router(tags=["suites"])


def _suite_named(text: str) -> Suite:
    """The suite `text` names: its id, its exact name, or the one suite whose name differs
    only in case; never a guess between several (a CI job must run the suite it means)."""
    text = text.strip()
    if text.isdigit() and (by_id := Suite.objects.filter(pk=int(text)).first()):
        return by_id
    exact = Suite.objects.filter(name=text).first()
    if exact is not None:
        return exact
    found = list(Suite.objects.filter(name__iexact=text)[:11])
    if not found:
        raise Problem(404, "suite_not_found", f'No suite is named "{text}".')
    if len(found) > 1:
        raise Problem(
            409,
            "suite_ambiguous",
            f'{len(found)}{"+" if len(found) > 10 else ""} suites are named "{text}" but for '
            "letter case: name it exactly, or by id.",
            candidates=[{"id": suite.pk, "name": suite.name} for suite in found[:10]],
        )
    return found[0]


def _suite_run_record(suite_run: SuiteRun, results: list[CaseResult]) -> dict:
    counts = {verdict.value: 0 for verdict in Verdict}
    for result in results:
        counts[result.verdict] += 1
    return {
        "id": suite_run.pk,
        "suite": {"id": suite_run.suite_id, "name": suite_run.title},
        "batch_id": str(suite_run.uuid),
        "version": suite_run.version or None,
        "instance": suite_run.instance.name if suite_run.instance_id else None,
        "started_at": suite_run.started_at.isoformat(),
        "finished": suite_run.is_finished,
        # A suite with no cases proves nothing: it does not pass a gate.
        "passed": bool(results) and counts[Verdict.PASS] == len(results) and suite_run.is_finished,
        "counts": counts,
        "url": f"/suite-runs/{suite_run.pk}/",
        "junit_url": f"/api/v1/suite-runs/{suite_run.pk}/junit.xml",
        "results": [
            {
                "case": result.case_name,
                "case_id": result.case_id,
                "function": result.function_name,
                "verdict": result.verdict,
                "run_id": result.execution_id,
                "unmet": result.unmet,
            }
            for result in results
        ],
    }


@router.get("/suites", response=list[dict], summary="List suites")
def list_suites(request):
    suites = Suite.objects.annotate(case_count=Count("cases", distinct=True))
    return [
        {"id": suite.pk, "name": suite.name, "description": suite.description,
         "cases": suite.case_count, "url": f"/suites/{suite.pk}/", "source": _source(suite)}
        for suite in suites
    ]  # fmt: skip


def _source(suite: Suite) -> dict | None:
    """The file a suite was pushed from (`ce push`), when it was."""
    if not suite.source_path:
        return None
    return {
        "path": suite.source_path,
        "repository": suite.source_repository or None,
        "commit": suite.source_commit or None,
        "pushed_at": suite.source_pushed_at.isoformat() if suite.source_pushed_at else None,
    }


@router.get("/suites/{suite}", response=dict, summary="One suite and its cases")
def get_suite(request, suite: str):
    found = _suite_named(suite)
    runs = found.runs.annotate(
        passed=Count("results", filter=Q(results__verdict=Verdict.PASS)), total=Count("results")
    )[:10]
    return {
        "id": found.pk,
        "name": found.name,
        "description": found.description,
        "source": _source(found),
        "cases": [
            {
                "id": case.pk,
                "name": case.name,
                "function": case.function.label,
                "last_verdict": case.last_verdict or None,
            }
            for case in found.cases.select_related("function")
        ],
        "runs": [
            {
                "id": run.pk,
                "passed": run.passed,
                "total": run.total,
                "started_at": run.started_at.isoformat(),
            }
            for run in runs
        ],
    }


@router.post("/suites/{suite}/runs", response={201: dict}, summary="Run a suite")
def run_suite(
    request,
    response: HttpResponse,
    suite: str,
    version: str = "",
    instance: str = "",
    wait: int = 0,
):
    """Queue a run of every case (on `version` instead of each function's, or on another
    `instance`'s copies of the functions, if given); with `?wait=N` (up to 60 s) the answer
    comes when every case has its verdict."""
    found = _suite_named(suite)
    other = None
    if instance:
        other = Instance.objects.filter(name__iexact=instance.strip()).first()
        if other is None:
            raise Problem(404, "instance_not_found", f'No instance is named "{instance}".')
    suite_run = start_suite_run(found, request.user, version=version[:64], instance=other)
    return Status(201, _followed(request, response, suite_run, wait))


@router.get("/suite-runs/{suite_run_id}", response=dict, summary="A suite run's verdicts")
def get_suite_run(request, response: HttpResponse, suite_run_id: int, wait: int = 0):
    suite_run = SuiteRun.objects.select_related("suite").filter(pk=suite_run_id).first()
    if suite_run is None:
        raise Problem(404, "suite_run_not_found", f"No suite run has the id {suite_run_id}.")
    return _followed(request, response, suite_run, wait)


@router.get("/suite-runs/{suite_run_id}/junit.xml", summary="A suite run as JUnit XML")
def get_suite_run_junit(request, suite_run_id: int):
    if not SuiteRun.objects.filter(pk=suite_run_id).exists():
        raise Problem(404, "suite_run_not_found", f"No suite run has the id {suite_run_id}.")
    return suite_run_junit(request, suite_run_id)


def _followed(request, response: HttpResponse, suite_run: SuiteRun, wait: int) -> dict:
    results = list(suite_run.results.all())
    if not wait or suite_run.is_finished:
        return _suite_run_record(suite_run, results)
    with waiting(request, response, wait) as allowed:
        deadline = time.monotonic() + allowed
        while not suite_run.is_finished and time.monotonic() < deadline:
            pending = [r.execution_id for r in results if r.verdict == Verdict.PENDING]
            remaining = max(0.0, deadline - time.monotonic())
            if awaits_verdict(suite_run):  # a worker gives it within moments
                remaining = min(remaining, JUDGED_WITHIN_SECONDS)
            _state, at_once = wait_for_news(
                state_of(suite_run),
                partial(state_of, suite_run),
                [pk for pk in pending if pk],
                timeout=remaining,
            )
            if not at_once:  # every waiting place of this process is taken
                ask_again_later(response)
                break
            suite_run.refresh_from_db(fields=["finished_at"])
            results = list(suite_run.results.all())
    return _suite_run_record(suite_run, results)
