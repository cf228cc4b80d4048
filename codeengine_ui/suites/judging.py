"""Judging the runs of suites: each case's run gets its verdict once, in a worker, and pages
read the stored verdict.

The expectations are written by users, so they are checked off every path others share:
never while a page renders, and not on the worker's heartbeat. Every worker runs
`judge_finished_cases` among its jobs (settings.RUN_WORKER_JOBS), at once when runs of a
suite finish and every few seconds in any case (for runs ended some other way: stopped,
interrupted, deleted). A verdict is written only over a pending one, so two workers never
judge a case twice; a suite run ends, and a monitor reports, once.
"""

import logging
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Prefetch, Q
from django.utils import timezone

from codeengine_ui.runs.live import RUN_CHANGED_CHANNEL
from codeengine_ui.runs.models import DOMO_STATUSES, IN_PROGRESS_STATUSES, Execution

from .expectations import RunFacts, unmet
from .models import Case, CaseResult, SuiteRun, Verdict
from .reports import report

logger = logging.getLogger(__name__)

# Suite runs judged in one pass of the job; the next pass takes the rest.
SUITE_RUNS_PER_PASS = 50


def judge_finished_cases() -> int:
    """Judge the cases whose runs have ended; how many were judged."""
    ready = Q(execution__isnull=True) | ~Q(execution__status__in=IN_PROGRESS_STATUSES)
    suite_run_ids = list(
        CaseResult.objects.filter(verdict=Verdict.PENDING)
        .filter(ready)
        .order_by("suite_run_id")
        .values_list("suite_run_id", flat=True)
        .distinct()[:SUITE_RUNS_PER_PASS]
    )
    judged = 0
    for suite_run in SuiteRun.objects.select_related("suite").filter(pk__in=suite_run_ids):
        try:
            judged += len(judge(suite_run))
        except Exception:
            # One suite run that cannot be judged now must not hold up the others.
            logger.exception("Suite run %s could not be judged", suite_run.pk)
    return judged


def judge(suite_run: SuiteRun) -> list[CaseResult]:
    """Give each finished run of the suite run its verdict; the results judged now."""
    results = list(
        suite_run.results.filter(verdict=Verdict.PENDING)
        .select_related("case__function")
        .prefetch_related(Prefetch("execution", queryset=Execution.objects.all()))
    )
    judged = []
    for result in results:
        execution = result.execution
        if execution is None:  # its run was deleted before it was judged
            verdict, found = Verdict.ERROR, [{"message": "Its run was deleted."}]
        elif not execution.is_finished:
            continue
        else:
            try:
                verdict, found = verdict_of(result.case, execution)
            except Exception as error:
                logger.exception("Case result %s could not be judged", result.pk)
                found = [{"message": f"It could not be judged ({type(error).__name__})."}]
                verdict = Verdict.ERROR
        if CaseResult.objects.filter(pk=result.pk, verdict=Verdict.PENDING).update(
            verdict=verdict, unmet=found
        ):
            result.verdict, result.unmet = verdict, found
            judged.append(result)
            _note_on_case(result)
    if judged:
        _announce([result.execution_id for result in judged if result.execution_id])
    end_if_judged(suite_run)
    return judged


def end_if_judged(suite_run: SuiteRun) -> None:
    """End the suite run once every case has a verdict; a monitor's run then reports."""
    if suite_run.results.filter(verdict=Verdict.PENDING).exists():
        return
    now = timezone.now()
    if SuiteRun.objects.filter(pk=suite_run.pk, finished_at__isnull=True).update(finished_at=now):
        suite_run.finished_at = now
        if suite_run.scheduled:
            report(suite_run)


def _note_on_case(result: CaseResult) -> None:
    case = result.case
    if case is None:
        return
    now = timezone.now()
    fields = {"last_verdict": result.verdict, "last_run_at": now}
    if result.verdict == Verdict.PASS:
        fields["last_passed_at"] = now
    Case.objects.filter(pk=case.pk).update(**fields)


def _announce(execution_ids: list[int]) -> None:
    """Wake the pages waiting on these runs (on PostgreSQL; elsewhere they look again
    within a second)."""
    if connection.vendor != "postgresql" or not execution_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_notify(%s, %s)",
            [RUN_CHANGED_CHANNEL, ",".join(str(pk) for pk in execution_ids)],
        )


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
    failures = unmet(
        case.expectations,
        facts,
        snapshot=case.snapshot,
        ignore_paths=case.ignore_paths,
        output=case.function.output,
        seconds=settings.EXPECTATION_CHECK_SECONDS,
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
