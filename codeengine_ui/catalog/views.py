import re

from django.apps import apps
from django.contrib import messages
from django.db import transaction
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from codeengine_ui.access.audit import record
from codeengine_ui.access.models import AuditAction
from codeengine_ui.access.roles import Role, role_required
from codeengine_ui.domo.errors import CodeEngineError
from codeengine_ui.error_codes import with_next_step
from codeengine_ui.htmx_requests import HtmxHttpRequest
from codeengine_ui.parameters.documents import is_released, release_stated
from codeengine_ui.request_values import row_id
from codeengine_ui.uploads import upload_refused

from .encryption import TokenDecryptionError
from .forms import (
    WHERE_IT_RUNS,
    AppDocumentForm,
    DocumentWiringForm,
    FunctionSettingsForm,
    InstanceForm,
    KeyInputsForm,
    PresetForm,
    RotateTokenForm,
    TokenForm,
)
from .importing import (
    DefinitionNotFound,
    check_newest_versions,
    check_on_instance,
    definition_changes,
    fetch_definition,
    find_saved,
    import_plans,
    import_summary,
    imported_url,
    output_change,
    prepare_mappings,
    refreshed_parameters,
    review_plans,
    rows_posted,
    save_function,
    save_plans,
    saved_message,
    usable_choices,
)
from .models import AccessToken, Function, InputPreset, Instance, ReleaseNews
from .tokens import TokenRefused, client_for, test_connection

# Every failure to reach or read an instance ends as a message on the page (TokenRefused,
# a token the user may not use, is a CodeEngineError).
INSTANCE_PROBLEMS = (CodeEngineError, DefinitionNotFound, TokenDecryptionError)


@role_required(Role.MEMBER)
@require_http_methods(["GET", "POST"])
def import_functions(request: HtmxHttpRequest) -> HttpResponse:
    """Read a document, choose where its functions run (once for all, or per row), map
    app aliases, save; then show what was imported."""
    data = request.POST if request.method == "POST" else None  # reads the upload, if any
    document_form = AppDocumentForm(
        data, request.FILES or None, upload_refused=upload_refused(request)
    )
    context = {
        "document_form": document_form,
        "instances": Instance.objects.all(),
        "step": "read",
        "demo_installed": apps.is_installed("codeengine_ui.demo"),
    }
    if request.method == "GET" or not document_form.is_valid():
        return render(request, "catalog/import_functions.html", context)
    step = request.POST.get("step", "")
    document = document_form.document
    instances, tokens = usable_choices(request.user)
    wiring = DocumentWiringForm(document, instances, tokens, request.POST if step else None)
    plans = import_plans(
        document.functions,
        instances,
        tokens,
        wiring.values,
        rows_posted(request.POST, step, len(document.functions)),
    )
    context.update(
        document=document,
        wiring=wiring,
        plans=plans,
        step="wire",
        problems=check_on_instance(plans, request.user),
    )
    chosen = wiring.is_valid() and all(plan.wiring.is_valid() for plan in plans)
    if step in ("map", "save") and chosen and any(plan.included for plan in plans):
        prepare_mappings(plans, request.user, request.POST if step == "save" else None)
        review_plans(plans)
        context.update(step="map", summary=import_summary(plans))
        if step == "save" and all(plan.mapped for plan in plans if plan.included):
            saved = save_plans(plans, request.user)
            messages.success(request, saved_message(saved))
            return redirect(imported_url([function for function, _ in saved]))
    else:
        find_saved(plans)
        context["none_chosen"] = step in ("map", "save") and chosen
    context["states"] = {plan.state for plan in plans}
    return render(request, "catalog/import_functions.html", context)


WIRING_PREFIX = re.compile(r"all|fn\d{1,4}")
CHOICES_SHOWN = 500


@role_required(Role.MEMBER)
@require_GET
def wiring_choices(request: HtmxHttpRequest) -> HttpResponse:
    """Suggestions for one function's wiring on the import page, read from the instance
    with the token chosen: its packages, the chosen package's versions and the chosen
    version's functions. What is typed stays: these only suggest."""
    prefix = request.GET.get("prefix", "")
    if not WIRING_PREFIX.fullmatch(prefix):
        return HttpResponse(status=400)

    def value(name: str) -> str:
        """The row's own choice, else the one made for every function."""
        own = request.GET.get(f"{prefix}-{name}", "").strip()
        return own or request.GET.get(f"all-{name}", "").strip()

    context = {"prefix": prefix, "packages": [], "versions": [], "functions": [], "problem": ""}
    # A row that chose nothing of its own reads what the document's fields read, whose
    # note is already on the page.
    inherited = prefix != "all" and not any(
        request.GET.get(f"{prefix}-{name}", "").strip() for name in WHERE_IT_RUNS
    )
    token = (
        AccessToken.objects.usable_by(request.user)
        .filter(pk=row_id(value("token")) or 0, instance_id=row_id(value("instance")) or 0)
        .first()
    )
    if token is None:
        context["problem"] = "Choose a token of this instance to pick from its packages."
        return render(request, "catalog/wiring_choices.html", context)
    reading = "its packages"
    try:
        client = client_for(token, request.user)
        context["packages"] = _choices(client.list_packages(), "id", _field("name"))
        if value("package_id"):
            reading = "the package's versions"
            package = client.get_package(value("package_id"))
            context["versions"] = _choices(package["versions"], "version", _released)
            if value("version"):
                reading = f"the functions of version {value('version')}"
                version = client.get_version(value("package_id"), value("version"))
                context["functions"] = _choices(version["functions"], "name", _field("displayName"))
    except INSTANCE_PROBLEMS as error:
        # Only suggestions fail here: what failed to be read, in a sentence, and no
        # advice about saved functions that do not exist yet.
        context["problem"] = (
            "The instance's suggestions are those for every function, above."
            if inherited
            else f"The instance did not give {reading}: {error}"
        )
    return render(request, "catalog/wiring_choices.html", context)


def _choices(entries, key: str, detail) -> list[tuple[str, str]]:
    """(value, what else to show: `detail` of the entry) for each well-formed entry of an
    instance's list."""
    if not isinstance(entries, list):
        return []
    choices = []
    for entry in entries[:CHOICES_SHOWN]:
        if isinstance(entry, dict) and isinstance(entry.get(key), str | int):
            shown = detail(entry)
            choices.append((str(entry[key]), shown if isinstance(shown, str) else ""))
    return choices


def _field(name: str):
    return lambda entry: entry.get(name)


def _released(entry: dict) -> str:
    return "released" if is_released(entry) else "not released"


def _browse_token(
    request: HtmxHttpRequest, instance: Instance
) -> tuple[AccessToken | None, list[AccessToken]]:
    tokens = list(AccessToken.objects.usable_by(request.user, instance))
    chosen = request.GET.get("token", "")
    token = next((t for t in tokens if str(t.pk) == chosen), tokens[0] if tokens else None)
    return token, tokens


@role_required(Role.ADMIN)
@require_GET
def instance_list(request: HtmxHttpRequest) -> HttpResponse:
    instances = Instance.objects.annotate(
        function_count=Count("functions", distinct=True),
        token_count=Count("tokens", distinct=True),
    )
    return render(request, "catalog/instance_list.html", {"instances": instances})


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def instance_form(request: HtmxHttpRequest, instance_id: int | None = None) -> HttpResponse:
    """Add an instance, or change its name or address (the audit log records both)."""
    instance = get_object_or_404(Instance, pk=instance_id) if instance_id else None
    form = InstanceForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        verb = "Changed" if instance else "Added"
        next_step = "" if instance else " Next, add an access token for it."
        messages.success(request, f"{verb} the instance {saved}.{next_step}")
        return redirect("catalog:instance_list")
    return render(request, "catalog/instance_form.html", {"form": form, "instance": instance})


@role_required(Role.MEMBER)
@require_GET
def browse_instance(
    request: HtmxHttpRequest, instance_id: int, package_id: str = "", version: str = ""
) -> HttpResponse:
    """An instance's packages, a package's versions, or a version's functions."""
    instance = get_object_or_404(Instance, pk=instance_id)
    token, tokens = _browse_token(request, instance)
    context = {
        "instance": instance,
        "token": token,
        "tokens": tokens,
        "package_id": package_id,
        "version": version,
        "problem": "",
    }
    if token is None:
        context["problem"] = "No token of this instance is granted to you yet: ask an admin."
        return render(request, "catalog/browse.html", context)
    try:
        client = client_for(token, request.user)
        if version:
            details = client.get_version(package_id, version)
            saved = {
                f.function_name: f
                for f in Function.objects.filter(
                    instance=instance, package_id=package_id, version=version
                )
            }
            context["functions"] = [(f, saved.get(f.get("name"))) for f in details["functions"]]
        elif package_id:
            context["package"] = client.get_package(package_id)
        else:
            context["packages"] = client.list_packages()
        token.record_use(request.user)
    except INSTANCE_PROBLEMS as error:
        context["problem"] = with_next_step(error)
    return render(request, "catalog/browse.html", context)


@role_required(Role.MEMBER)
@require_POST
def save_browsed_function(
    request: HtmxHttpRequest, instance_id: int, package_id: str, version: str
) -> HttpResponse:
    instance = get_object_or_404(Instance, pk=instance_id)
    token_id = request.POST.get("token", "")
    token = get_object_or_404(
        AccessToken.objects.usable_by(request.user, instance),
        pk=row_id(token_id) or 0,
    )
    name = request.POST.get("function_name", "")
    browse_url = reverse("catalog:browse_version", args=[instance.pk, package_id, version])
    versions: dict = {}
    try:
        definition = fetch_definition(token, request.user, package_id, version, name, versions)
    except INSTANCE_PROBLEMS as error:
        messages.error(request, with_next_step(error))
        return redirect(f"{browse_url}?token={token.pk}")
    [details] = versions.values()
    function, created = save_function(
        instance=instance,
        token=token,
        package_id=package_id,
        version=version,
        function_name=name,
        definition=definition,
        user=request.user,
        version_released=release_stated(details),
    )
    messages.success(request, f"{'Saved' if created else 'Updated'} {function.label}.")
    return redirect("runs:function_run", function.pk)


@role_required(Role.MEMBER)
@require_http_methods(["GET", "POST"])
def refresh_definition(request: HtmxHttpRequest, function_id: int) -> HttpResponse:
    """Fetch the function's definition again, show what changed, apply it on confirmation."""
    function = get_object_or_404(
        Function.objects.select_related("instance", "default_token"), pk=function_id
    )
    context = {"function": function, "problem": ""}
    token = function.token_for(request.user)
    if token is None:
        context["problem"] = "No token of this instance is granted to you to fetch it with."
        return render(request, "catalog/refresh_definition.html", context)
    versions: dict = {}
    try:
        definition = fetch_definition(
            token,
            request.user,
            function.package_id,
            function.version,
            function.function_name,
            versions,
        )
    except INSTANCE_PROBLEMS as error:
        context["problem"] = with_next_step(error)
        return render(request, "catalog/refresh_definition.html", context)
    parameters, output = refreshed_parameters(function, definition)
    if request.method == "POST":
        [details] = versions.values()
        save_function(
            instance=function.instance,
            token=None,  # the token it was read with is not made the default
            package_id=function.package_id,
            version=function.version,
            function_name=function.function_name,
            definition=definition,
            parameters=parameters,
            output=output,
            version_released=release_stated(details),
        )
        messages.success(request, f"The definition of {function.label} is up to date.")
        return redirect("runs:function_run", function.pk)
    context.update(
        changes=definition_changes(function.parameters, parameters),
        output_change=output_change(function.output, output),
        text_changed=(
            definition.get("displayName") or function.display_name,
            definition.get("description") or function.description,
        )
        != (function.display_name, function.description),
    )
    return render(request, "catalog/refresh_definition.html", context)


@role_required(Role.MEMBER)
@require_http_methods(["GET", "POST"])
def edit_preset(request: HtmxHttpRequest, preset_id: int) -> HttpResponse:
    preset = get_object_or_404(
        InputPreset.objects.select_related("function", "created_by"), pk=preset_id
    )
    form = PresetForm(request.POST or None, instance=preset)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f'Saved the preset "{preset.name}".')
        return redirect(
            f"{reverse('runs:function_run', args=[preset.function_id])}?preset={preset.pk}"
        )
    return render(request, "catalog/preset_form.html", {"form": form, "preset": preset})


@role_required(Role.MEMBER)
@require_POST
def delete_preset(request: HtmxHttpRequest, preset_id: int) -> HttpResponse:
    preset = get_object_or_404(InputPreset, pk=preset_id)
    preset.delete()
    messages.success(request, f'Deleted the preset "{preset.name}".')
    return redirect("runs:function_run", preset.function_id)


@role_required(Role.MEMBER)
@require_http_methods(["GET", "POST"])
def edit_function(request: HtmxHttpRequest, function_id: int) -> HttpResponse:
    """Rename a saved function, point it at another version, or change its default token.
    A new version's inputs are read from the instance before anything is saved."""
    function = get_object_or_404(
        Function.objects.select_related("instance", "default_token"), pk=function_id
    )
    pinned = function.version
    form = FunctionSettingsForm(request.POST or None, instance=function, user=request.user)
    if request.method == "POST" and form.is_valid():
        changed_version = form.cleaned_data["version"] != pinned
        if changed_version and not _read_new_version(request, form, function):
            return render(
                request, "catalog/function_form.html", {"form": form, "function": function}
            )
        form.save()
        note = f" It now runs version {function.version}." if changed_version else ""
        messages.success(request, f"Saved {function.label}.{note}")
        return redirect("runs:function_run", function.pk)
    return render(request, "catalog/function_form.html", {"form": form, "function": function})


def _read_new_version(request, form: FunctionSettingsForm, function: Function) -> bool:
    """Take the new version's inputs from the instance onto `function`, read with the
    default token just chosen, else one the user may use; on failure the version field
    says why and nothing is saved."""
    chosen = "default_token" in form.changed_data and form.cleaned_data["default_token"]
    token = chosen or function.token_for(request.user)
    if token is None:
        form.add_error("version", "No token of this instance is granted to you to read it.")
        return False
    versions: dict = {}
    try:
        definition = fetch_definition(
            token,
            request.user,
            function.package_id,
            form.cleaned_data["version"],
            function.function_name,
            versions,
        )
    except INSTANCE_PROBLEMS as error:
        form.add_error("version", f"This version could not be read: {with_next_step(error)}")
        return False
    function.parameters, function.output = refreshed_parameters(function, definition)
    [details] = versions.values()
    function.version_released = release_stated(details)
    return True


@role_required(Role.MEMBER)
@require_http_methods(["GET", "POST"])
def delete_function(request: HtmxHttpRequest, function_id: int) -> HttpResponse:
    """Delete a saved function after a confirmation; its runs stay in the history."""
    function = get_object_or_404(Function.objects.select_related("instance"), pk=function_id)
    if request.method == "POST":
        label = function.label
        function.delete()
        messages.success(request, f"Deleted {label}. Its runs stay in the history.")
        return redirect("dashboard:function_list")
    context = {
        "function": function,
        "runs": function.executions.count(),
        "presets": function.presets.count(),
    }
    return render(request, "catalog/function_delete.html", context)


@role_required(Role.MEMBER)
@require_POST
def set_key_inputs(request: HtmxHttpRequest, function_id: int) -> HttpResponse:
    function = get_object_or_404(Function, pk=function_id)
    form = KeyInputsForm(function, request.POST)
    if form.is_valid():
        function.key_inputs = form.cleaned_data["key_inputs"]
        function.save(update_fields=["key_inputs", "updated_at"])
        messages.success(request, "The key inputs now label this function's runs in the history.")
    else:
        messages.error(request, " ".join(form.errors["key_inputs"]))
    return redirect("runs:function_run", function.pk)


@role_required(Role.MEMBER)
@require_POST
def check_version(request: HtmxHttpRequest, function_id: int) -> HttpResponse:
    function = get_object_or_404(
        Function.objects.select_related("instance", "default_token"), pk=function_id
    )
    if not check_newest_versions(Function.objects.filter(pk=function.pk), user=request.user):
        messages.error(
            request,
            f"{function.instance} could not be asked for the package's versions; check its token.",
        )
    else:
        function.refresh_from_db()
        newer = ReleaseNews(request.user).newer_version(function)
        if newer:
            messages.warning(
                request, f"Version {newer} is released; this function runs {function.version}."
            )
        else:
            messages.success(request, f"{function.version} is the newest released version.")
    return redirect("runs:function_run", function.pk)


# --- Access tokens: managed by admins --------------------------------------------------


@role_required(Role.ADMIN)
@require_GET
def token_list(request: HtmxHttpRequest) -> HttpResponse:
    tokens = (
        AccessToken.objects.select_related("instance", "last_used_by", "created_by")
        .prefetch_related("granted_users", "granted_groups")
        .order_by("instance__display_name", "label")
    )
    return render(request, "catalog/token_list.html", {"tokens": tokens})


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def token_add(request: HtmxHttpRequest) -> HttpResponse:
    chosen = row_id(request.GET.get("instance"))
    form = TokenForm(request.POST or None, initial={"instance": chosen} if chosen else {})
    if request.method == "POST" and form.is_valid():
        form.instance.created_by = request.user
        with transaction.atomic():  # the token and its grants: one audit record
            token = form.save()
        token = _tested(request, token)
        messages.success(request, f"Added the token {token.label}. {_test_outcome(token)}")
        return redirect("catalog:token_detail", token.pk)
    return render(request, "catalog/token_form.html", {"form": form})


def _locked_token(token_id: int) -> AccessToken:
    """The token, its row locked until the transaction ends: two admins acting at once
    (a rotation and a rename, say) cannot undo each other's change."""
    return get_object_or_404(
        AccessToken.objects.select_for_update(of=("self",)).select_related("instance"),
        pk=token_id,
    )


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def token_detail(request: HtmxHttpRequest, token_id: int) -> HttpResponse:
    """Rename, set expiry and grants; rotate, disable, test and delete are actions here."""
    if request.method == "GET":
        token = get_object_or_404(AccessToken.objects.select_related("instance"), pk=token_id)
        context = {"form": TokenForm(instance=token), "token": token}
        return render(
            request, "catalog/token_form.html", {**context, "rotate_form": RotateTokenForm(token)}
        )
    with transaction.atomic():
        token = _locked_token(token_id)
        form = TokenForm(request.POST, instance=token)
        if form.is_valid():
            token = form.save()
            messages.success(request, f"Saved the token {token.label}.")
            return redirect("catalog:token_detail", token.pk)
    context = {"form": form, "token": token, "rotate_form": RotateTokenForm(token)}
    return render(request, "catalog/token_form.html", context)


@role_required(Role.ADMIN)
@require_POST
def token_rotate(request: HtmxHttpRequest, token_id: int) -> HttpResponse:
    """Replace the secret; the token keeps its grants and its history of runs."""
    with transaction.atomic():
        token = _locked_token(token_id)
        form = RotateTokenForm(token, request.POST)
        if form.is_valid():
            form.save()
            rotated = True
        else:
            rotated = False
    if rotated:
        token = _tested(request, token)
        messages.success(request, f"Replaced the secret of {token.label}. {_test_outcome(token)}")
        return redirect("catalog:token_detail", token.pk)
    context = {"form": TokenForm(instance=token), "token": token, "rotate_form": form}
    return render(request, "catalog/token_form.html", context)


@role_required(Role.ADMIN)
@require_POST
def token_toggle(request: HtmxHttpRequest, token_id: int) -> HttpResponse:
    with transaction.atomic():
        token = _locked_token(token_id)
        token.is_active = not token.is_active
        token.save(update_fields=["is_active"])
    state = "enabled" if token.is_active else "disabled: no run can use it"
    messages.success(request, f"{token.label} is {state}.")
    return redirect("catalog:token_detail", token.pk)


@role_required(Role.ADMIN)
@require_POST
def token_test(request: HtmxHttpRequest, token_id: int) -> HttpResponse:
    token = _tested(
        request, get_object_or_404(AccessToken.objects.select_related("instance"), pk=token_id)
    )
    if request.htmx:
        return render(request, "catalog/token_list.html#token-health", {"token": token})
    if token.refusal:
        messages.error(request, _test_outcome(token))
    if request.POST.get("back") == "detail":
        return redirect("catalog:token_detail", token.pk)
    return redirect("catalog:token_list")


def _tested(request: HtmxHttpRequest, token: AccessToken) -> AccessToken:
    """Ask the instance who the token acts as, keep the answer on it and audit the test; a
    token the admin may not use now (disabled, expired) is not tested, and the page says
    why (`token.refusal`)."""
    token.refusal = ""
    try:
        token = test_connection(token, request.user)
    except TokenRefused as refusal:
        token.refusal = with_next_step(refusal)
        return token
    record(
        AuditAction.TOKEN_TESTED,
        token.description,
        request=request,
        ok=token.last_check_ok,
        result=token.last_check_message,
    )
    return token


def _test_outcome(token: AccessToken) -> str:
    if token.refusal:
        return f"Not tested: {token.refusal}"
    if token.last_check_ok:
        return f"Connection test: {token.last_check_message}."
    return f"Connection test failed: {token.last_check_message}"


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def token_delete(request: HtmxHttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(AccessToken.objects.select_related("instance"), pk=token_id)
    if request.method == "POST":
        label = token.description
        token.delete()
        messages.success(request, f"Deleted the token {label}. Past runs keep its name.")
        return redirect("catalog:token_list")
    return render(request, "catalog/token_delete.html", {"token": token})
