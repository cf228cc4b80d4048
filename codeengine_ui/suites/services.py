"""Running suites: Save as test, a run of every case of a suite (started by a person, a
schedule or a new release), and what a page following a suite run compares.

`start_suite_run` queues a normal run of each case (source `suite`, the suite run's uuid as
batch id), so the worker runs them in parallel within its limits and the history shows
them; a worker then judges each (`judging`). A run that a schedule or a new release starts
acts as the person `authority.acting_person` names, never as anyone else.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from codeengine_ui.access.roles import Role, role_of
from codeengine_ui.catalog.models import AccessToken, Function
from codeengine_ui.json_text import indented, one_line
from codeengine_ui.runs.models import IN_PROGRESS_STATUSES, Execution, RunSource
from codeengine_ui.runs.services import InputsDoNotFit, RunRefused, start_run
from codeengine_ui.text_lines import as_one_line

from .authority import acting_person, person_name
from .judging import end_if_judged
from .models import Case, CaseResult, Suite, SuiteRun, Verdict


def snapshot_refusal(result) -> str:
    """Why a result is too large to keep as a snapshot ("" when it is not)."""
    size = len(one_line(result).encode())
    limit = settings.CASE_SNAPSHOT_MAX_BYTES
    if size <= limit:
        return ""
    return (
        f"The result is {_size(size)}, and a snapshot keeps up to {_size(limit)} "
        "(CASE_SNAPSHOT_MAX_BYTES), so no snapshot was kept: check the parts that matter "
        "with “path” or “contains” expectations."
    )


@dataclass(frozen=True)
class SnapshotView:
    """How a case's page draws its snapshot: open, folded, or (too large to draw) only its
    size beside a download."""

    SHOWN_OPEN_CHARACTERS = 20_000
    DRAWN_CHARACTERS = 200_000

    text: str
    size: str
    drawn: bool
    open: bool

    @classmethod
    def of(cls, case: Case) -> "SnapshotView | None":
        if case.snapshot is None:
            return None
        text = indented(case.snapshot)
        drawn = len(text) <= cls.DRAWN_CHARACTERS
        return cls(
            text=text if drawn else "",
            size=_size(len(text.encode())),
            drawn=drawn,
            open=len(text) <= cls.SHOWN_OPEN_CHARACTERS,
        )


def _size(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size / 1000:.1f} kB"


def case_from_run(execution: Execution, user, name: str = "") -> tuple[Case, str]:
    """ "Save as test": the run's inputs, its outcome, and its result as the snapshot (when
    it is not too large: then also why not)."""
    expectations: list[dict] = [{"kind": "outcome", "status": execution.status}]
    refusal = snapshot_refusal(execution.result) if execution.has_result else ""
    keeps_snapshot = execution.has_result and not refusal
    if keeps_snapshot:
        expectations.append({"kind": "snapshot"})
    base = name.strip()[:180] or f"{execution.function_name} as in run #{execution.pk}"
    base = as_one_line(base)
    taken = set(
        Case.objects.filter(function_id=execution.function_id, name__startswith=base).values_list(
            "name", flat=True
        )
    )
    chosen, number = base, 2
    while chosen in taken:
        chosen, number = f"{base} ({number})", number + 1
    case = Case.objects.create(
        function_id=execution.function_id,
        name=chosen,
        input_variables=execution.input_variables or {},
        expectations=expectations,
        snapshot=execution.result if keeps_snapshot else None,
        created_by=user,
    )
    return case, refusal


def run_automatically(suite: Suite, *, version: str = "", scheduled: bool = False) -> SuiteRun:
    """A run that a schedule or a new release starts: it acts as the person who last
    changed what it runs, whose role and grants each case's run must pass; when nobody can
    be held to that change, every case is an error saying so."""
    authority = acting_person(suite)
    return start_suite_run(
        suite,
        authority.user,
        version=version,
        scheduled=scheduled,
        authority=str(authority),
        refusal=authority.refusal,
    )


def start_suite_run(
    suite: Suite,
    user,
    *,
    version: str = "",
    instance=None,
    scheduled: bool = False,
    authority: str = "",
    refusal: str = "",
) -> SuiteRun:
    """Queue a run of every case of the suite as `user` (on `version`, or on `instance`'s
    copy of each function, when given); a case that cannot start is an error, and so is
    every case when a `refusal` says why none may."""
    cases = list(
        suite.cases.select_related(
            "function__instance", "function__default_token", "changed_by", "function__changed_by"
        )
    )
    suite_run = SuiteRun.objects.create(
        suite=suite,
        started_by=user,
        version=version.strip(),
        instance=instance,
        scheduled=scheduled,
        authority=authority[:400],
    )
    queue_cases(suite_run, cases, user, instance=instance, refusal=refusal)
    return suite_run


def queue_cases(
    suite_run: SuiteRun, cases: list[Case], user, *, instance=None, refusal: str = ""
) -> None:
    """Queue a run of each case for `suite_run` as `user`. A case not stored (one given
    with the request, `ce test`) is kept on its result, to be judged the same way."""
    refusal = refusal or _person_refusal(user)
    results = []
    for case in cases:
        result = CaseResult(
            suite_run=suite_run,
            case=case if case.pk else None,
            case_name=case.name,
            function_name=case.function.label,
            given_case=None if case.pk else given_case(case),
        )
        try:
            if refusal:
                raise RunRefused(refusal)
            function = _function_on(case.function, instance)
            token = token_for_case(case, function, user)
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
        except RunRefused as refused:
            result.verdict = Verdict.ERROR
            result.unmet = [{"message": f"The run could not start: {refused}"}]
        results.append(result)
    CaseResult.objects.bulk_create(results)
    end_if_judged(suite_run)


def given_case(case: Case) -> dict:
    """What a case not stored is judged by, as a result keeps it."""
    return {
        "expectations": case.expectations,
        "snapshot": case.snapshot,
        "ignore_paths": case.ignore_paths,
    }


def _person_refusal(user) -> str:
    """Why `user` may run nothing now ("" when they may run)."""
    if not user.is_active:
        return f"{person_name(user)}'s account is deactivated."
    if role_of(user) < Role.MEMBER:
        return f"{person_name(user)} does not have the member role, so it was not started."
    return ""


def token_for_case(case: Case, function: Function, user) -> AccessToken:
    """The token a case's run uses as `user`: one that `user` may use, and so may whoever
    last changed the case or its function, since they chose what it runs (the function's
    default token when it is such a one). Nobody's inputs run with a token they may not
    use, whoever starts the suite."""
    authors = {
        person.pk: person
        for person in (case.changed_by, case.function.changed_by, function.changed_by)
        if person is not None and person.pk != user.pk
    }
    tokens = AccessToken.objects.usable_by(user, function.instance)
    if not tokens.exists():
        raise RunRefused(f"no token of {function.instance} is granted to {person_name(user)}.")
    for author in authors.values():
        usable = AccessToken.objects.usable_by(author, function.instance).values("pk")
        tokens = tokens.filter(pk__in=usable)
    token = tokens.filter(pk=function.default_token_id).first() or tokens.first()
    if token is None:
        names = " and ".join(person_name(author) for author in authors.values())
        raise RunRefused(
            f"{names} last changed this case or its function, and no token of "
            f"{function.instance} is granted to both {names} and {person_name(user)}: a case "
            "runs only with a token whoever wrote what it runs may use too. An admin can "
            f"grant {names} a token, or someone who may use one can change the case."
        )
    return token


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


# How soon a page following a suite run looks again when a case's run has ended and its
# verdict is due from a worker.
JUDGED_WITHIN_SECONDS = 0.3


def awaits_verdict(suite_run: SuiteRun) -> bool:
    """Whether a case's run has ended and its verdict is due from the quick lane (a case
    the slow lane judges is not waited for so closely)."""
    return (
        suite_run.results.filter(verdict=Verdict.PENDING, needs_time=False)
        .exclude(execution__status__in=IN_PROGRESS_STATUSES)
        .exists()
    )


def state_of(suite_run: SuiteRun) -> str:
    """What a page or a client following the suite run has seen: it changes when a case's
    run changes status or gets its verdict."""
    statuses = suite_run.results.order_by("id").values_list("verdict", "execution__status")
    return ";".join(f"{verdict}:{status}" for verdict, status in statuses)


def run_on_new_release(sender, *, function: Function, version: str, **kwargs) -> None:
    """A newer release of `function` was found: the suites that test it and asked for it
    run on that version, once per version."""
    suites = Suite.objects.filter(run_on_new_version=True, cases__function=function).distinct()
    for suite in suites:
        if not suite.runs.filter(version=version).exists():
            run_automatically(suite, version=version)


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
    results = list(suite_run.results.all())
    passed = sum(result.verdict == Verdict.PASS for result in results)
    return {"version": function.newest_version, "passed": passed, "total": len(results),
            "regressions": len(results) - passed, "suite_run": suite_run,
            "finished": suite_run.is_finished}  # fmt: skip
