"""Saved functions, found by id, by name, or as instance/package/function."""

from django.db import IntegrityError, transaction
from django.db.models import Q
from ninja import Router, Schema, Status

from codeengine_ui.catalog.models import Function, InputPreset, ReleaseNews
from codeengine_ui.domo.versions import version_key
from codeengine_ui.parameters.types import inputs_problems
from codeengine_ui.text_lines import ONE_LINE_REFUSAL, not_one_line

from .problems import Problem

router = Router(tags=["functions"])


class FunctionOut(Schema):
    id: int
    name: str
    function_name: str
    instance: str
    package_id: str
    version: str
    newest_version: str
    # False when the instance (or the imported document) says the pinned version is not
    # released, so Domo may refuse to run it; None when unknown.
    version_released: bool | None
    entity_sub_type: str
    app_alias: str
    description: str
    starred: bool
    url: str


class FunctionDetailOut(FunctionOut):
    inputs: list[dict]
    output: dict | None
    presets: list[dict]


class PresetIn(Schema):
    name: str
    inputs: dict


def function_named(text: str, user) -> Function:
    """The saved function `text` names: its id, its name (the console's or its own), or
    `instance/package/function`, each optionally with `@version`. An ambiguous name lists
    the candidates, and names the one a client that must choose should take (see
    `preferred_function`)."""
    functions = Function.objects.for_user_list(user).select_related("default_token")
    text = text.strip()
    name_part, at, version = text.rpartition("@")
    if at and name_part and version:  # name@version picks one of several saved versions
        text, functions = name_part, functions.filter(version=version)
    if text.isdigit():
        found = functions.filter(pk=int(text)).first()
        if found is None:
            raise Problem(404, "function_not_found", f"No saved function has the id {text}.")
        return found
    if text.count("/") == 2:
        instance, package, name = text.split("/")
        candidates = functions.filter(
            Q(instance__name__iexact=instance) | Q(instance__display_name__iexact=instance),
            package_id=package,
            function_name=name,
        )
    else:
        candidates = functions.filter(
            Q(display_name__iexact=text) | Q(function_name__iexact=text) | Q(app_alias=text)
        )
    found = list(candidates[: MAX_CANDIDATES + 1])
    if not found:
        raise Problem(404, "function_not_found", f'No saved function is named "{text}".')
    if len(found) == 1:
        return found[0]
    raise _ambiguous(text, found, user)


# Enough to judge any real name (a function saved at every version it ever had).
MAX_CANDIDATES = 500
SHOWN_CANDIDATES = 10


def preferred_function(found: list[Function]) -> tuple[Function | None, str]:
    """Of several saved functions with one name, the one to take, and why: the starred one
    (`is_starred`, for the person asking), else the newest version. Versions compare only
    within one function (instance, package and name); when the candidates are more than
    one function and none or several are starred, nobody can tell which is meant."""
    starred = [function for function in found if getattr(function, "is_starred", False)]
    pool = starred or found
    lineages = {(f.instance_id, f.package_id, f.function_name) for f in pool}
    if len(lineages) > 1:
        return None, "starred_differ" if len(starred) > 1 else "unstarred_differ"
    newest = max(pool, key=lambda function: version_key(function.version))
    if len(starred) == 1:
        return newest, "starred"
    return newest, "newest_starred" if starred else "newest"


_CHOICE_REASONS = {
    "starred": "the starred one is {choice}",
    "newest_starred": "the newest starred version is {choice}",
    "newest": "none is starred; the newest version is {choice}",
    "starred_differ": "{count} starred ones are different functions",
    "unstarred_differ": "they are different functions (instance, package or name) and none "
    "is starred",
}


def _ambiguous(text: str, found: list[Function], user) -> Problem:
    count = f"{len(found)}{'+' if len(found) > MAX_CANDIDATES else ''}"
    choice, reason = preferred_function(found)
    starred = sum(bool(getattr(function, "is_starred", False)) for function in found)
    described = _CHOICE_REASONS[reason].format(
        choice=_described(choice) if choice else "", count=starred
    )
    extra = {
        "count": len(found),
        "candidates": [_summary(function, user) for function in found[:SHOWN_CANDIDATES]],
    }
    if choice is not None:
        extra["choice"] = {**_summary(choice, user), "reason": reason}
    return Problem(
        409,
        "function_ambiguous",
        f'{count} saved functions are named "{text}"; {described}. Name one by its id, '
        "add @version, or write instance/package/function.",
        **extra,
    )


def _described(function: Function) -> str:
    return (
        f"{function.function_name} {function.version} on {function.instance.name} "
        f"(id {function.pk})"
    )


def _summary(function: Function, user, news: ReleaseNews | None = None) -> dict:
    news = news or ReleaseNews(user)
    return {
        "id": function.pk,
        "name": function.label,
        "function_name": function.function_name,
        "instance": function.instance.name,
        "package_id": function.package_id,
        "version": function.version,
        "newest_version": news.newer_version(function) or "",
        "version_released": function.version_released,
        "entity_sub_type": function.entity_sub_type,
        "app_alias": function.app_alias,
        "description": function.description,
        "starred": bool(getattr(function, "is_starred", False)),
        "url": f"/functions/{function.pk}/run/",
    }


@router.get("/functions", response=list[FunctionOut], summary="List saved functions")
def list_functions(request, search: str = "", instance: str = "", starred: bool = False):
    """Every saved function, starred ones first; `search` matches names, package, alias
    and instance, `instance` an instance's name."""
    functions = Function.objects.for_user_list(request.user).matching(search[:200])
    if instance:
        functions = functions.filter(instance__name__iexact=instance)
    if starred:
        functions = functions.filter(is_starred=True)
    news = ReleaseNews(request.user)
    return [_summary(function, request.user, news) for function in functions]


@router.get(
    "/functions/{function}", response=FunctionDetailOut, summary="One function and its presets"
)
def get_function(request, function: str):
    """The function's normalised definition (inputs and output) and its presets."""
    found = function_named(function, request.user)
    return {
        **_summary(found, request.user),
        "inputs": found.parameters,
        "output": found.output,
        "presets": [_preset(preset) for preset in found.presets.select_related("created_by")],
    }


def _preset(preset: InputPreset) -> dict:
    return {
        "id": preset.pk,
        "name": preset.name,
        "inputs": preset.input_variables,
        "created_by": preset.created_by.get_username() if preset.created_by else None,
        "created_at": preset.created_at.isoformat(),
    }


@router.get("/functions/{function}/presets", response=list[dict], summary="List presets")
def list_presets(request, function: str):
    found = function_named(function, request.user)
    return [_preset(preset) for preset in found.presets.select_related("created_by")]


@router.post(
    "/functions/{function}/presets",
    response={201: dict},
    summary="Save inputs as a preset",
)
def create_preset(request, function: str, body: PresetIn):
    """Inputs checked against the definition with the same rules as the form."""
    found = function_named(function, request.user)
    name = body.name.strip()[:100]
    if not name:
        raise Problem(422, "invalid_preset", "Give the preset a name.")
    if not_one_line(name):
        raise Problem(422, "invalid_preset", ONE_LINE_REFUSAL)
    problems = inputs_problems(found.parameters, body.inputs)
    if problems:
        raise inputs_problem(problems)
    try:
        with transaction.atomic():
            preset = InputPreset.objects.create(
                function=found, name=name, input_variables=body.inputs, created_by=request.user
            )
    except IntegrityError:
        raise Problem(
            409, "preset_exists", f'A preset named "{name}" already exists for this function.'
        ) from None
    return Status(201, _preset(preset))


def inputs_problem(problems: list[tuple[str, str]], prefix: str = "") -> Problem:
    return Problem(
        422,
        "inputs_do_not_fit",
        "These inputs do not fit the function's definition: see errors.",
        errors=[{"path": f"{prefix}{path}", "message": message} for path, message in problems],
    )
