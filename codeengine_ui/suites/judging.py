"""Judging the runs of suites: each case's run gets its verdict once, in a worker, and pages
read the stored verdict.

The expectations are written by users, so they are checked off every path others share:
never while a page renders, and not on the worker's heartbeat. Every worker runs two jobs
(settings.RUN_WORKER_JOBS), each in a loop of its own, at once when runs of a suite finish
and every few seconds in any case (for runs ended some other way: stopped, interrupted,
deleted):

- `judge_finished_cases`, the quick lane: oldest suite runs first, each case given
  QUICK_CASE_SECONDS in all. Nearly every case is judged there within milliseconds.
- `judge_slow_cases`: the cases that needed more, one at a time in turn for each person
  who started them, each check within its deadline and each case within SLOW_CASE_SECONDS.
  Whoever writes slow expectations waits for their own verdicts, never for anyone else's.

A verdict is written only over a pending one, so two workers never judge a case twice; a
suite run ends, and a monitor reports, once.
"""

import logging
import time
from itertools import chain, zip_longest
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from codeengine_ui.runs.live import RUN_CHANGED_CHANNEL
from codeengine_ui.runs.models import DOMO_STATUSES, IN_PROGRESS_STATUSES, Execution

from .expectations import OutOfTime, RunFacts, unmet
from .models import Case, CaseResult, SuiteRun, Verdict
from .reports import report

logger = logging.getLogger(__name__)

# Suite runs the quick lane takes in one pass; the next pass takes the rest.
SUITE_RUNS_PER_PASS = 50
# What one case may take in the quick lane before it goes to the slow one.
QUICK_CASE_SECONDS = 0.5
# What one case may take in all in the slow lane; the checks past it are not made.
SLOW_CASE_SECONDS = 30.0
# How long the slow lane works before it lets its loop start again (and sees new cases).
SLOW_PASS_SECONDS = 10.0

_READY = Q(execution__isnull=True) | ~Q(execution__status__in=IN_PROGRESS_STATUSES)


def judge_finished_cases() -> int:
    """The quick lane: judge the cases whose runs have ended, oldest suite runs first; how
    many were judged."""
    suite_run_ids = list(
        CaseResult.objects.filter(verdict=Verdict.PENDING, needs_time=False)
        .filter(_READY)
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


def judge_slow_cases() -> int:
    """The slow lane: the cases the quick lane gave up on, one in turn for each person who
    started their suite runs, oldest first; how many were judged."""
    waiting = list(
        CaseResult.objects.filter(verdict=Verdict.PENDING, needs_time=True)
        .order_by("id")
        .values_list("pk", "suite_run__started_by_id")[:500]
    )
    by_person: dict[Any, list[int]] = {}
    for pk, person in waiting:
        by_person.setdefault(person, []).append(pk)
    in_turn = [pk for pk in chain(*zip_longest(*by_person.values())) if pk is not None]
    stop_at = time.monotonic() + SLOW_PASS_SECONDS
    judged = 0
    for pk in in_turn:
        if time.monotonic() > stop_at:
            break
        result = _pending_result(CaseResult.objects.filter(pk=pk))
        if result is not None and _judge_result(result, budget=None):
            judged += 1
            _announce([result.execution_id] if result.execution_id else [])
            end_if_judged(result.suite_run)
    return judged


def judge(suite_run: SuiteRun) -> list[CaseResult]:
    """Give each finished run of the suite run its verdict, within the quick lane's time;
    the results judged now."""
    results = list(_pending_results(suite_run.results.filter(needs_time=False)))
    judged = [result for result in results if _judge_result(result, budget=QUICK_CASE_SECONDS)]
    _announce([result.execution_id for result in judged if result.execution_id])
    end_if_judged(suite_run)
    return judged


def _pending_results(results):
    return results.filter(verdict=Verdict.PENDING).select_related(
        "case__function", "execution__function", "suite_run__suite"
    )


def _pending_result(results) -> CaseResult | None:
    return _pending_results(results).first()


def _judge_result(result: CaseResult, *, budget: float | None) -> bool:
    """Judge one result and store its verdict; False when it was not judged now (its run
    goes on, another worker judged it, or it needs more than `budget` seconds: then the
    slow lane takes it)."""
    execution = result.execution
    if execution is None:  # its run was deleted before it was judged
        verdict, found = Verdict.ERROR, [{"message": "Its run was deleted."}]
    elif not execution.is_finished:
        return False
    else:
        try:
            verdict, found = verdict_of(_case_of(result), execution, budget=budget)
        except OutOfTime:
            CaseResult.objects.filter(pk=result.pk).update(needs_time=True)
            return False
        except Exception as error:
            logger.exception("Case result %s could not be judged", result.pk)
            found = [{"message": f"It could not be judged ({type(error).__name__})."}]
            verdict = Verdict.ERROR
    stored = CaseResult.objects.filter(pk=result.pk, verdict=Verdict.PENDING).update(
        verdict=verdict, unmet=found
    )
    if not stored:
        return False
    result.verdict, result.unmet = verdict, found
    _note_on_case(result)
    return True


def _case_of(result: CaseResult) -> Case | None:
    """The case a result is judged by: the stored one, or the one given with the request
    (`ce test`), made again from what the result keeps."""
    if result.case is not None or result.given_case is None:
        return result.case
    function = result.execution.function if result.execution else None
    if function is None:
        return None
    given = result.given_case
    return Case(
        function=function,
        name=result.case_name,
        expectations=given.get("expectations") or [],
        snapshot=given.get("snapshot"),
        ignore_paths=given.get("ignore_paths") or [],
    )


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


def verdict_of(
    case: Case | None, execution: Execution, *, budget: float | None = None
) -> tuple[str, list[dict]]:
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
        budget=budget,
        case_seconds=SLOW_CASE_SECONDS,
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
