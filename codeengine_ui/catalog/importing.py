"""Getting functions into the catalog without typing definitions by hand.

From an instance: a function's own definition is fetched with its version
(`GET .../versions/{v}?parts=functions`). From Domo's own documents (an exported version,
a package response, function definitions): the definition comes with the document. From
an app: each packageMapping alias is mapped to the function input it stands for, matched
automatically when the function's own definition is known, and inputVariables always use
the input names.
"""

import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q, TextChoices
from django.http import QueryDict
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone

from codeengine_ui.domo.client import path_segment
from codeengine_ui.domo.errors import CodeEngineError, InvalidRequestError, NotFoundError
from codeengine_ui.domo.versions import version_key
from codeengine_ui.error_codes import with_next_step
from codeengine_ui.json_text import same_json
from codeengine_ui.parameters.app_calls import app_call_snippet
from codeengine_ui.parameters.definitions import normalise_output, normalise_parameters
from codeengine_ui.parameters.documents import DocumentFunction, is_released
from codeengine_ui.parameters.documents import entity_sub_type as read_entity_sub_type

from .encryption import TokenDecryptionError
from .forms import AliasMappingForm, WiringForm
from .models import AccessToken, Function, Instance
from .signals import newer_version_released
from .tokens import BACKGROUND, client_for

logger = logging.getLogger(__name__)


class DefinitionNotFound(Exception):
    """The version answered, but has no function of that name (or none at all)."""


def fetch_definition(
    token: AccessToken,
    user,
    package_id: str,
    version: str,
    name: str,
    versions: dict | None = None,
) -> dict:
    """The function's own definition from its instance, read with `token` for `user`;
    CodeEngineError (TokenRefused for a token `user` may not use) or DefinitionNotFound.
    `versions` keeps the versions fetched, so functions of one version ask for it once."""
    key = (token.pk, package_id, version)
    if versions is not None and key in versions:
        details = versions[key]
    else:
        details = client_for(token, user).get_version(package_id, version)
        if versions is not None:
            versions[key] = details
    functions = details["functions"]
    if not functions:
        raise DefinitionNotFound(
            f"Version {version} lists no functions for this token (Domo's own global packages "
            "may not show theirs)."
        )
    for function in functions:
        if function.get("name") == name:
            return function
    raise DefinitionNotFound(f"Version {version} has no function named {name!r}.")


def match_aliases(app_parameters: list[dict], inputs: list[dict]) -> dict[str, str]:
    """The function input each app alias stands for ("" when no match is found): same name,
    then the same name in another case, then the same position and type, then the only
    remaining input of that type."""
    matched: dict[str, str] = {}
    free = [parameter["name"] for parameter in inputs]
    by_name = {parameter["name"]: parameter for parameter in inputs}

    def take(alias: str, name: str) -> None:
        matched[alias] = name
        free.remove(name)

    def same_shape(app: dict, name: str) -> bool:
        target = by_name[name]
        return (app["type"], app["isList"]) == (target["type"], target["isList"])

    for app in app_parameters:
        if app["name"] in free:
            take(app["name"], app["name"])
    for app in app_parameters:
        if app["name"] not in matched:
            name = next((n for n in free if n.lower() == app["name"].lower()), None)
            if name:
                take(app["name"], name)
    for position, app in enumerate(app_parameters):
        if app["name"] not in matched and position < len(inputs):
            name = inputs[position]["name"]
            if name in free and same_shape(app, name):
                take(app["name"], name)
    for app in app_parameters:
        if app["name"] not in matched:
            candidates = [name for name in free if same_shape(app, name)]
            if len(candidates) == 1:
                take(app["name"], candidates[0])
    return {app["name"]: matched.get(app["name"], "") for app in app_parameters}


def parameters_with_aliases(
    app_parameters: list[dict], mapping: dict[str, str], definition: dict | None
) -> list[dict]:
    """The parameters to save: the function's own inputs carrying the app's aliases when the
    definition is known, else the app's parameters renamed to the mapped input names."""
    alias_of = {name: alias for alias, name in mapping.items() if name}
    if definition is not None:
        parameters = normalise_parameters(definition.get("inputs") or [])
        app_by_alias = {app["name"]: app for app in app_parameters}
        for parameter in parameters:
            alias = alias_of.get(parameter["name"])
            parameter["alias"] = alias
            app = app_by_alias.get(alias)
            if app and app["children"] and parameter["children"]:
                parameter["children"] = parameters_with_aliases(
                    app["children"],
                    match_aliases(app["children"], parameter["children"]),
                    {"inputs": parameter["children"]},
                )
        return parameters
    renamed = []
    for app in app_parameters:
        renamed.append(
            {**app, "name": mapping.get(app["name"]) or app["name"], "alias": app["name"]}
        )
    return normalise_parameters(renamed)


def save_function(
    *,
    instance,
    token,
    package_id: str,
    version: str,
    function_name: str,
    definition: dict | None,
    parameters: list[dict] | None = None,
    output: dict | None = None,
    app_alias: str = "",
    user=None,
    replace_token: bool = True,
    entity_sub_type: str = "",
    version_released: bool | None = None,
) -> tuple[Function, bool]:
    """Create or update the saved function; (function, created). What the caller does not
    know is left as it was: `token` None, or a saved function's token when `replace_token`
    is False; an empty `entity_sub_type` (the definition's own is used when it has one);
    `version_released` None."""
    function = Function.objects.filter(
        instance=instance, package_id=package_id, version=version, function_name=function_name
    ).first()
    created = function is None
    if created:
        function = Function(
            instance=instance,
            package_id=package_id,
            version=version,
            function_name=function_name,
            created_by=user,
        )
    if token is not None and (created or replace_token):
        function.default_token = token
    if version_released is not None:
        function.version_released = version_released
    if definition is not None:
        entity_sub_type = entity_sub_type or read_entity_sub_type(definition)
        function.display_name = definition.get("displayName") or function.display_name
        function.description = definition.get("description") or function.description
        function.parameters = (
            parameters if parameters is not None else definition.get("inputs") or []
        )
        function.output = output if output is not None else definition.get("output")
    else:
        function.parameters = parameters or []
        function.output = output
    if entity_sub_type:
        function.entity_sub_type = entity_sub_type
    if app_alias:
        function.app_alias = app_alias
        function.display_name = function.display_name or app_alias
    function.full_clean()
    if created or not _as_stored(function):
        function.save()
    return function, created


# What saving a function sets; one saved again as it is stored is left alone (its "saved"
# time too).
_SAVED_COLUMNS = (
    "default_token_id", "display_name", "description", "parameters", "output", "app_alias",
    "entity_sub_type", "version_released",
)  # fmt: skip


def _as_stored(function: Function) -> bool:
    stored = Function.objects.filter(pk=function.pk).values(*_SAVED_COLUMNS).first()
    return stored is not None and all(
        same_json(stored[column], getattr(function, column)) for column in _SAVED_COLUMNS
    )


@dataclass(frozen=True)
class Change:
    kind: str  # added, removed, retyped
    path: str
    detail: str


def _shape(parameter: dict) -> str:
    shape = f"list of {parameter['type']}" if parameter["isList"] else parameter["type"]
    return shape + (" or null" if parameter["nullable"] else "")


def definition_changes(old: list[dict], new: list[dict], prefix: str = "") -> list[Change]:
    """What a refreshed definition changes: inputs added, removed or retyped, at any depth."""
    changes = []
    old_by_name = {parameter["name"]: parameter for parameter in old}
    new_by_name = {parameter["name"]: parameter for parameter in new}
    for name, parameter in new_by_name.items():
        path = f"{prefix}{name}"
        before = old_by_name.get(name)
        if before is None:
            changes.append(Change("added", path, _shape(parameter)))
            continue
        if _shape(before) != _shape(parameter):
            changes.append(Change("retyped", path, f"{_shape(before)} → {_shape(parameter)}"))
        changes += definition_changes(before["children"], parameter["children"], f"{path}.")
    for name, parameter in old_by_name.items():
        if name not in new_by_name:
            changes.append(Change("removed", f"{prefix}{name}", _shape(parameter)))
    return changes


def output_change(old: dict | None, new: dict | None) -> str:
    """How the declared output changes, in words ("" when it does not)."""
    before = _shape(old) if old else "nothing"
    after = _shape(new) if new else "nothing"
    return "" if before == after else f"{before} → {after}"


def refreshed_parameters(function: Function, definition: dict) -> tuple[list[dict], dict | None]:
    """The fetched definition, normalised, keeping the aliases of inputs that still exist."""
    aliases = {parameter["name"]: parameter["alias"] for parameter in function.parameters}
    parameters = normalise_parameters(definition.get("inputs") or [])
    for parameter in parameters:
        parameter["alias"] = aliases.get(parameter["name"]) or parameter["alias"]
    return parameters, normalise_output(definition.get("output"))


class OnInstance(TextChoices):
    """What the instance says of a function about to be imported."""

    FOUND = "found", "Found"
    UNRELEASED = "unreleased", "Not released"
    MISSING = "missing", "Not found"
    UNCHECKED = "unchecked", "Not checked"


@dataclass
class ImportPlan:
    """One function of a document on its way into the catalog: where it runs (its row's
    choices over the document's), what the instance says of it, its own definition (when
    the document or the instance gave it) and how an app's aliases map to its inputs."""

    function: DocumentFunction
    wiring: WiringForm
    definition: dict | None = None
    problem: str = ""
    mapping: AliasMappingForm | None = None
    inputs: list[dict] | None = field(default=None, repr=False)
    state: OnInstance = OnInstance.UNCHECKED
    # The saved function this plan would update (None: it creates one), and what changes.
    existing: Function | None = None
    changes: list[str] = field(default_factory=list)

    @property
    def included(self) -> bool:
        return self.wiring.is_valid() and self.wiring.cleaned_data["include"]

    @property
    def mapped(self) -> bool:
        """Whether the aliases are mapped (Domo's own definitions have none to map)."""
        return self.mapping is None or self.mapping.is_valid()

    @property
    def released(self) -> bool | None:
        """Whether its version is released: as the instance says, else as the document
        does (of its own version only: a row may choose another)."""
        if self.state == OnInstance.FOUND:
            return True
        if self.state == OnInstance.UNRELEASED:
            return False
        target = self.wiring.target
        if target and target["version"] != self.function.version:
            return None
        return self.function.released

    @property
    def title(self) -> str:
        definition = self.function.definition or {}
        return str(definition.get("displayName") or "") or self.function.alias

    @property
    def inputs_summary(self) -> str:
        """Its inputs in one line: name (the alias, for an app), declared type → type."""
        shown = []
        for parameter in self.function.parameters:
            name = parameter["alias"] if self.function.app_alias else parameter["name"]
            declared = parameter.get("declaredType")
            kind = f"{declared} → {parameter['type']}" if declared else parameter["type"]
            shown.append(f"{name}: {kind}{' list' if parameter['isList'] else ''}")
        return ", ".join(shown)

    @property
    def searchable(self) -> str:
        """The words a row is found by on the page."""
        function = self.function
        words = [self.title, function.alias, function.function_name, function.entity_sub_type]
        for parameter in function.parameters:
            words += [parameter["alias"] or parameter["name"], parameter.get("entitySubType")]
        return " ".join(word for word in words if word).lower()

    def app_call(self) -> str:
        if not self.function.app_alias:
            return ""
        parameters = self.function.parameters
        values = {p["name"]: p["default"] for p in parameters}
        return app_call_snippet(self.function.app_alias, parameters, values)


def import_plans(
    functions: list[DocumentFunction], instances, tokens, document: dict, data=None
) -> list[ImportPlan]:
    """A plan per function; `data` binds the rows' wiring forms (unbound: the first step),
    `document` holds the choices made for every function (DocumentWiringForm.values)."""
    plans = []
    for index, function in enumerate(functions):
        initial = {"function_name": function.function_name}
        for name in ("package_id", "version"):
            own = getattr(function, name)
            initial[name] = own if own != document.get(name) else ""
        wiring = WiringForm(instances, tokens, document, data, prefix=f"fn{index}", initial=initial)
        plans.append(ImportPlan(function, wiring))
    return plans


def usable_choices(user) -> tuple[list[Instance], list[AccessToken]]:
    """The instances, and the tokens `user` may use, read once for a whole import page."""
    tokens = list(AccessToken.objects.usable_by(user).select_related("instance"))
    return list(Instance.objects.all()), tokens


def check_on_instance(plans: list[ImportPlan], user) -> list[str]:
    """Ask each row's instance, with its token, whether it has the function and whether
    its version is released (each package and version asked once); the problems met, each
    named once."""
    answers: dict = {}
    problems: list[str] = []
    for plan in plans:
        target = plan.wiring.target
        plan.state = OnInstance.UNCHECKED
        if not target or not all(target[k] for k in ("package_id", "version", "function_name")):
            continue
        token, instance = target["token"], target["instance"]
        if token is None or instance is None or token.instance_id != instance.pk:
            _add(problems, "No token chosen: the instance was not asked about the functions.")
            continue
        try:
            plan.state = _state_on_instance(token, user, target, answers)
        except (CodeEngineError, DefinitionNotFound, TokenDecryptionError) as error:
            _add(problems, f"{instance}: {with_next_step(error)}")
    return problems


def _add(problems: list[str], problem: str) -> None:
    if problem not in problems:
        problems.append(problem)


def _state_on_instance(token: AccessToken, user, target: dict, answers: dict) -> OnInstance:
    package_id, version = target["package_id"], target["version"]
    try:
        package = _answer(answers, (token.pk, package_id), lambda c: c.get_package(package_id),
                          token, user)  # fmt: skip
    except NotFoundError:
        return OnInstance.MISSING
    listed = release_states(package)
    if version not in listed:
        return OnInstance.MISSING
    if not listed[version]:
        return OnInstance.UNRELEASED
    try:
        details = _answer(answers, (token.pk, package_id, version),
                          lambda c: c.get_version(package_id, version), token, user)  # fmt: skip
    except NotFoundError:
        return OnInstance.MISSING
    names = {entry.get("name") for entry in details["functions"]}
    if not names:
        raise DefinitionNotFound(
            f"version {version} lists no functions for this token (Domo's own global packages "
            "may not show theirs)."
        )
    return OnInstance.FOUND if target["function_name"] in names else OnInstance.MISSING


def _answer(answers: dict, key: tuple, ask, token: AccessToken, user):
    """The instance's answer to one question, asked once however many rows need it; a
    failure is kept too, so the rows after it do not ask again."""
    if key not in answers:
        try:
            answers[key] = ask(client_for(token, user))
        except (CodeEngineError, TokenDecryptionError) as error:
            answers[key] = error
    if isinstance(answers[key], Exception):
        raise answers[key]
    return answers[key]


def prepare_mappings(plans: list[ImportPlan], user, data=None) -> None:
    """Fetch each included function's definition (each version once, with the token chosen,
    for `user`) and build its alias mapping form."""
    versions: dict = {}
    for index, plan in enumerate(plans):
        if not plan.included:
            continue
        if plan.function.definition is not None:  # it came with the document
            plan.definition = plan.function.definition
            continue
        wiring = plan.wiring.cleaned_data
        if wiring["token"] is not None:
            try:
                plan.definition = fetch_definition(
                    wiring["token"],
                    user,
                    wiring["package_id"],
                    wiring["version"],
                    wiring["function_name"],
                    versions,
                )
            except (CodeEngineError, DefinitionNotFound, TokenDecryptionError) as error:
                plan.problem = with_next_step(error)
        else:
            plan.problem = "No token chosen, so the function's own definition was not fetched."
        if plan.definition is not None:
            plan.inputs = normalise_parameters(plan.definition.get("inputs") or [])
            proposal = match_aliases(plan.function.parameters, plan.inputs)
        else:
            proposal = {p["name"]: p["name"] for p in plan.function.parameters}
        plan.mapping = AliasMappingForm(
            plan.function, plan.inputs, proposal, data, prefix=f"map{index}"
        )


def find_saved(plans: list[ImportPlan]) -> None:
    """Find the saved function each row would update (one query for the page; a function
    is saved once per version, a unique constraint)."""
    targets = [(plan, plan.wiring.target) for plan in plans]
    targets = [(plan, target) for plan, target in targets if target and target["instance"]]
    if not targets:
        return
    candidates = Function.objects.select_related("default_token").filter(
        instance__in={target["instance"] for _, target in targets},
        function_name__in={target["function_name"] for _, target in targets},
    )
    saved = {(f.instance_id, f.package_id, f.version, f.function_name): f for f in candidates}
    for plan, target in targets:
        plan.existing = saved.get(_saved_as(target))


def review_plans(plans: list[ImportPlan]) -> None:
    """What saving changes in each saved function an included row updates, so the page
    can say so before anything is saved."""
    find_saved(plans)
    for plan in plans:
        if plan.included and plan.existing is not None:
            plan.changes = _changes_to(plan.existing, plan)


def _saved_as(wiring: dict) -> tuple:
    """The key a saved function has for this wiring: instance, package, version, name."""
    return (wiring["instance"].pk, wiring["package_id"], wiring["version"], wiring["function_name"])


def _changes_to(function: Function, plan: ImportPlan) -> list[str]:
    changes = []
    alias = plan.function.app_alias
    if alias and alias != function.app_alias:
        changes.append(f"App alias: {function.app_alias or 'none'} → {alias}")
    wiring = plan.wiring.cleaned_data
    token = wiring["token"]
    # The token is not in the document: only a row's own choice replaces the saved one.
    if wiring["token_chosen"] and token is not None and token != function.default_token:
        before = function.default_token.label if function.default_token else "none"
        changes.append(f"Default token: {before} → {token.label}")
    sub_type = plan.function.entity_sub_type
    if sub_type and sub_type != function.entity_sub_type:
        changes.append(f"Entity subtype: {function.entity_sub_type or 'none'} → {sub_type}")
    if plan.definition is not None:
        new_inputs = normalise_parameters(plan.definition.get("inputs") or [])
        new_output = normalise_output(plan.definition.get("output"))
    else:
        new_inputs, new_output = plan.function.parameters, plan.function.output
    for change in definition_changes(function.parameters, new_inputs):
        changes.append(f"Input {change.path} {change.kind}: {change.detail}")
    output = output_change(function.output, new_output)
    if output:
        changes.append(f"Output: {output}")
    return changes


@transaction.atomic
def save_plans(plans: list[ImportPlan], user) -> list[tuple[Function, bool]]:
    """Save every included row, all or none; (function, created) for each."""
    saved = []
    for plan in plans:
        if not plan.included:
            continue
        wiring = plan.wiring.cleaned_data
        parameters = (
            parameters_with_aliases(plan.function.parameters, plan.mapping.mapping, plan.definition)
            if plan.mapping is not None
            else None  # Domo's own definition, as it came
        )
        saved.append(
            save_function(
                instance=wiring["instance"],
                token=wiring["token"],
                replace_token=wiring["token_chosen"],
                package_id=wiring["package_id"],
                version=wiring["version"],
                function_name=wiring["function_name"],
                definition=plan.definition,
                parameters=parameters,
                output=None if plan.definition else plan.function.output,
                app_alias=plan.function.app_alias,
                user=user,
                entity_sub_type=plan.function.entity_sub_type,
                version_released=plan.released,
            )
        )
    return saved


def release_states(package: dict) -> dict[str, bool]:
    """Each version a package answer lists, and whether it is released."""
    return {
        entry["version"]: is_released(entry)
        for entry in package["versions"]
        if _is_version(entry.get("version"))
    }


def rows_posted(data: QueryDict, step: str, count: int) -> QueryDict | None:
    """The rows' choices as posted; none for a document just read or another version of a
    package (its rows start afresh); every row ticked, or none, for "all" and "none" (the
    buttons that do so without JavaScript)."""
    if step in ("", "version"):
        return None
    if step not in ("all", "none"):
        return data
    rows = data.copy()
    for key in [key for key in rows if key.endswith("-include")]:
        del rows[key]
    if step == "all":
        for index in range(count):
            rows[f"fn{index}-include"] = "on"
    return rows


def import_summary(plans: list[ImportPlan]) -> dict:
    included = [plan for plan in plans if plan.included]
    return {
        "creates": sum(plan.existing is None for plan in included),
        "updates": sum(plan.existing is not None for plan in included),
        "skipped": len(plans) - len(included),
    }


def saved_message(saved: list[tuple[Function, bool]]) -> str:
    """One line for everything an import saved."""
    if len(saved) == 1:
        function, created = saved[0]
        return f"{'Saved' if created else 'Updated'} {function.label}."
    created = sum(1 for _, is_new in saved if is_new)
    parts = []
    if created:
        parts.append(f"saved {created} new function{pluralize(created)}")
    if len(saved) - created:
        parts.append(f"updated {len(saved) - created}")
    return " and ".join(parts).capitalize() + "."


def imported_url(functions: list[Function]) -> str:
    """Where an import leads: the function's page, or the list of exactly those imported."""
    if len(functions) == 1:
        return reverse("runs:function_run", args=[functions[0].pk])
    ids = ",".join(str(function.pk) for function in functions)
    return f"{reverse('dashboard:function_list')}?imported={ids}"


def newest_released_version(states: dict[str, bool]) -> str:
    """The newest released version of `release_states` ("" when none is released)."""
    return max((v for v, released in states.items() if released), key=version_key, default="")


def _is_version(value: object) -> bool:
    """Whether an upstream version string is one the console could pin and call."""
    try:
        path_segment(value, "version")
    except InvalidRequestError:
        return False
    return len(value) <= Function._meta.get_field("version").max_length


def check_newest_versions(functions=None, *, checked_before=None, user=None) -> int:
    """Record each function's newest released version, and whether its pinned version is
    released (unknown when the instance does not list it), one call per package; functions
    whose instance cannot be asked are left as they were. With `user`, only tokens granted
    to them are used (ReleaseNews tells each person only of what a token they may use
    found). The number of functions checked."""
    functions = (
        Function.objects.select_related("instance", "default_token")
        if functions is None
        else functions
    )
    if checked_before is not None:
        functions = functions.filter(
            Q(versions_checked_at__isnull=True) | Q(versions_checked_at__lt=checked_before)
        )
    packages: dict[tuple[int, str], list[Function]] = {}
    for function in functions:
        packages.setdefault((function.instance_id, function.package_id), []).append(function)
    checked = 0
    for (instance_id, package_id), group in packages.items():
        if user is not None:
            token = group[0].token_for(user)
        else:
            usable = AccessToken.objects.usable(group[0].instance)
            defaults = [f.default_token_id for f in group if f.default_token_id]
            token = usable.filter(pk__in=defaults).first() or usable.first()
        if token is None:
            continue
        try:
            package = client_for(token, user or BACKGROUND).get_package(package_id)
        except (CodeEngineError, TokenDecryptionError) as error:
            logger.info(
                "Could not check versions of %s on instance %s: %s", package_id, instance_id, error
            )
            continue
        states = release_states(package)
        newest = newest_released_version(states)
        Function.objects.filter(pk__in=[f.pk for f in group]).update(
            newest_version=newest, versions_checked_at=timezone.now(), newest_version_token=token
        )
        for version in {function.version for function in group}:
            Function.objects.filter(pk__in=[f.pk for f in group if f.version == version]).update(
                version_released=states.get(version)
            )
        for function in group:
            if newest and newest != function.newest_version:
                function.newest_version = newest
                if function.is_outdated:
                    newer_version_released.send(Function, function=function, version=newest)
        checked += len(group)
    return checked
