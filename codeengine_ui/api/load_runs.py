"""Load runs through the API: start one, follow it (progress, seconds, summary), stop it,
list a function's, and compare two. The `ce load` command uses these."""

from decimal import Decimal

from ninja import Field, Router, Schema, Status

from codeengine_ui.catalog.models import InputPreset
from codeengine_ui.load_runs import services
from codeengine_ui.load_runs.models import LoadRun
from codeengine_ui.load_runs.summary import comparison
from codeengine_ui.runs.services import InputsDoNotFit

from .functions import function_named, inputs_problem
from .problems import Problem, too_many
from .runs import _token

router = Router(tags=["load runs"])
STARTED_RETRY_AFTER_SECONDS = 10


class LoadRunIn(Schema):
    function: str | int
    inputs: dict = Field(default={}, description="inputVariables sent to every call.")
    preset: str = Field("", description="Or the inputs of this preset of the function.")
    token: int | None = None
    users: int = Field(description="Virtual users (capped to the instance's runs at once).")
    duration_seconds: int | None = None
    total_calls: int | None = None
    ramp_up_seconds: int = 0
    p95_below_ms: int | None = None
    errors_below_percent: Decimal | None = None
    confirm_production: bool = Field(
        False, description="An admin confirms a load run against a production instance."
    )


def load_run_record(load_run: LoadRun, since: int = -1) -> dict:
    return {
        "id": load_run.pk,
        "url": f"/load-runs/{load_run.pk}/",
        "function": {"id": load_run.function_id, "name": load_run.function_name},
        "instance": load_run.instance_name,
        "production": load_run.production,
        "version": load_run.version,
        "status": load_run.status,
        "status_message": load_run.status_message,
        "finished": load_run.is_finished,
        "verdict": load_run.verdict or None,
        "plan": load_run.plan_text,
        "users": load_run.users,
        "users_requested": load_run.users_requested,
        "cap_note": load_run.cap_note,
        "duration_seconds": load_run.duration_seconds,
        "total_calls": load_run.total_calls,
        "ramp_up_seconds": load_run.ramp_up_seconds,
        "p95_below_ms": load_run.p95_below_ms,
        "errors_below_percent": (
            None if load_run.errors_below_percent is None else float(load_run.errors_below_percent)
        ),
        "started_by": getattr(load_run.started_by, "username", None),
        "approved_by": getattr(load_run.approved_by, "username", None),
        "batch_id": str(load_run.uuid),
        "created_at": load_run.created_at.isoformat(),
        "started_at": load_run.started_at.isoformat() if load_run.started_at else None,
        "finished_at": load_run.finished_at.isoformat() if load_run.finished_at else None,
        "active_users": load_run.active_users,
        "calls_done": load_run.calls_done,
        "buckets": [
            {
                "second": b.second,
                "active_users": b.active_users,
                "calls": b.calls,
                "succeeded": b.succeeded,
                "failed": b.failed,
                "rate_limited": b.rate_limited,
                "errors": b.errors,
                "p50_ms": b.p50_ms,
                "p95_ms": b.p95_ms,
                "p99_ms": b.p99_ms,
            }
            for b in load_run.buckets.filter(second__gt=since)
        ],
        "summary": load_run.summary or None,
    }


def _load_run(load_run_id: int) -> LoadRun:
    found = (
        LoadRun.objects.select_related("started_by", "approved_by", "token")
        .filter(pk=load_run_id)
        .first()
    )
    if found is None:
        raise Problem(404, "load_run_not_found", f"No load run has the id {load_run_id}.")
    return found


def _refused(error: services.LoadRunRefused) -> Problem:
    if error.status == 429:
        return too_many(str(error), STARTED_RETRY_AFTER_SECONDS)
    if isinstance(error, services.NeedsConfirmation):
        return Problem(409, "production_needs_confirmation", str(error))
    code = {403: "load_run_not_allowed", 409: "load_run_conflict"}.get(
        error.status, "invalid_load_run"
    )
    errors = [{"path": error.field, "message": str(error)}] if error.field else []
    status = 422 if error.status == 400 else error.status
    return Problem(status, code, str(error), errors=errors)


@router.post("/load-runs", response={201: dict}, summary="Start a load run")
def start_load_run(request, body: LoadRunIn):
    """Queue a load run as the key's person (who needs the "load" permission). Against a
    production instance an admin sends `confirm_production`; a member's load run waits for
    an admin's approval (status `awaiting_approval`)."""
    function = function_named(str(body.function), request.user)
    token = _token(request, function, body.token)
    inputs = body.inputs
    if body.preset:
        preset = InputPreset.objects.filter(function=function, name=body.preset).first()
        if preset is None:
            raise Problem(404, "preset_not_found", f'This function has no preset "{body.preset}".')
        inputs = preset.input_variables
    plan = services.LoadSettings(
        function=function,
        token=token,
        inputs=inputs,
        users=body.users,
        duration_seconds=body.duration_seconds,
        total_calls=body.total_calls,
        ramp_up_seconds=body.ramp_up_seconds,
        p95_below_ms=body.p95_below_ms,
        errors_below_percent=body.errors_below_percent,
        confirm_production=body.confirm_production,
    )
    try:
        load_run = services.start_load_run(plan, request.user, api_key=request.api_key)
    except InputsDoNotFit as misfit:
        raise inputs_problem(misfit.problems) from None
    except services.LoadRunRefused as error:
        raise _refused(error) from None
    return Status(201, load_run_record(load_run))


@router.get("/load-runs", response=list[dict], summary="List load runs")
def list_load_runs(request, function: str = "", limit: int = 20):
    runs = LoadRun.objects.select_related("started_by", "approved_by")
    if function:
        runs = runs.filter(function=function_named(function, request.user))
    return [
        {key: value for key, value in load_run_record(run, since=10**9).items() if key != "buckets"}
        for run in runs[: max(1, min(limit, 100))]
    ]


@router.get("/load-runs/compare", response=dict, summary="Compare two load runs")
def compare_load_runs(request, earlier: int, later: int):
    first, second = sorted([_load_run(earlier), _load_run(later)], key=lambda run: run.pk)
    return {
        "earlier": first.pk,
        "later": second.pk,
        "figures": comparison(first, second),
    }


@router.get("/load-runs/{load_run_id}", response=dict, summary="A load run's progress")
def get_load_run(request, load_run_id: int, since: int = -1):
    """Its state, the seconds measured (after `since`, to follow it without reading them
    all again), and once it has ended its summary and verdict."""
    return load_run_record(_load_run(load_run_id), since=since)


@router.post("/load-runs/{load_run_id}/stop", response=dict, summary="Stop a load run")
def stop_load_run(request, load_run_id: int):
    load_run = _load_run(load_run_id)
    try:
        services.stop(load_run, request.user)
    except services.LoadRunRefused as error:
        raise _refused(error) from None
    return load_run_record(load_run)
