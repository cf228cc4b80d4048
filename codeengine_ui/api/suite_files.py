"""Suites as files through the API, for `ce pull`, `ce push` and `ce test`: the suites as
files' content, the plan a push would make, the push itself (one transaction, as the key's
user), and a run of the cases files give, stored as runs and verdicts but not as a suite."""

from django.db import IntegrityError
from ninja import Query, Router, Schema, Status

from codeengine_ui.suites.files import (
    FilesRefused,
    PlanChanged,
    apply_files,
    exported,
    make_plan,
    read_files,
    run_given_cases,
)
from codeengine_ui.suites.models import Suite

from .problems import Problem
from .suites import _suite_named, _suite_run_record

router = Router(tags=["suite files"])


class FilesIn(Schema):
    # The pushed directory, as a path in its repository: suites pushed earlier from a
    # file under it that the files no longer hold are deleted.
    directory: str = ""
    # Where the files live (their repository's origin, without credentials).
    repository: str = ""
    commit: str = ""
    # The plan's fingerprint the person confirmed: the push is refused if it changed.
    fingerprint: str = ""
    files: list[dict]


def _given(body: FilesIn, *, need_suite: bool = False):
    try:
        return read_files(body.dict(), need_suite=need_suite)
    except FilesRefused as refused:
        raise Problem(
            422,
            "files_refused",
            "The files cannot be used as they are: see errors (each names its file and key).",
            errors=refused.errors,
        ) from None


@router.get("/suite-files", response=dict, summary="Suites as files' content")
def pull(request, suite: Query[list[str]] = None):  # type: ignore[assignment]
    """Every suite (or the ones named: id or name), their cases with their functions, and
    the presets of those functions, in a stable order."""
    if suite:
        chosen = Suite.objects.filter(pk__in=[_suite_named(name).pk for name in suite])
    else:
        chosen = Suite.objects.all()
    return exported(chosen)


@router.post("/suite-files/plan", response=dict, summary="What a push would change")
def plan(request, body: FilesIn):
    return make_plan(_given(body), commit=body.commit.strip()[:64]).as_dict()


@router.post("/suite-files/push", response=dict, summary="Bring the console in line with files")
def push(request, body: FilesIn):
    """Apply the plan in one transaction, as the key's user (a member), audited; refused
    with 409 `plan_changed` when the console changed since the plan was confirmed."""
    given = _given(body)
    try:
        applied = apply_files(
            given,
            request.user,
            commit=body.commit.strip()[:64],
            fingerprint=body.fingerprint.strip(),
        )
    except PlanChanged as changed:
        raise Problem(409, "plan_changed", str(changed)) from None
    except IntegrityError:
        raise Problem(
            409,
            "plan_changed",
            "Someone changed the same suites, cases or presets at the same moment: push again.",
        ) from None
    return applied.as_dict()


@router.post("/suite-files/runs", response={201: dict}, summary="Run files' suites, unsaved")
def run_files(request, body: FilesIn, version: str = ""):
    """A run of each file's suite with the cases as the files give them, judged as the
    console judges its suites; nothing but the runs and their verdicts is stored. Follow
    each with GET /suite-runs/{id}, and its JUnit XML."""
    given = _given(body, need_suite=True)
    try:
        suite_runs = run_given_cases(given, request.user, version=version[:64])
    except FilesRefused as refused:
        raise Problem(422, "too_many_cases", refused.errors[0]["message"]) from None
    return Status(
        201, {"suite_runs": [_suite_run_record(run, list(run.results.all())) for run in suite_runs]}
    )
