"""Admin pages of the console: tokens, the team's roles, and the audit log."""

import json

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from codeengine_ui.catalog.models import AccessToken
from codeengine_ui.request_values import row_id

from .audit import record
from .context_processors import THEME_CYCLE
from .forms import RoleForm, RotateTokenForm, TokenForm
from .models import AuditAction, AuditEvent, Theme, UserPreferences
from .roles import ASSIGNABLE_ROLES, Role, role_of, role_required
from .tokens import test_connection

AUDIT_PAGE_SIZE = 100


@role_required(Role.ADMIN)
@require_GET
def token_list(request):
    tokens = (
        AccessToken.objects.select_related("instance", "last_used_by", "created_by")
        .prefetch_related("granted_users", "granted_groups")
        .order_by("instance__display_name", "label")
    )
    return render(request, "access/token_list.html", {"tokens": tokens})


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def token_add(request):
    chosen = row_id(request.GET.get("instance"))
    form = TokenForm(request.POST or None, initial={"instance": chosen} if chosen else {})
    if request.method == "POST" and form.is_valid():
        form.instance.created_by = request.user
        with transaction.atomic():  # the token and its grants: one audit record
            token = form.save()
        messages.success(request, f"Added the token {token.label}; test its connection below.")
        return redirect("access:token_detail", token.pk)
    return render(request, "access/token_form.html", {"form": form})


def _locked_token(token_id: int) -> AccessToken:
    """The token, its row locked until the transaction ends: two admins acting at once
    (a rotation and a rename, say) cannot undo each other's change."""
    return get_object_or_404(
        AccessToken.objects.select_for_update(of=("self",)).select_related("instance"),
        pk=token_id,
    )


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def token_detail(request, token_id: int):
    """Rename, set expiry and grants; rotate, disable, test and delete are actions here."""
    if request.method == "GET":
        token = get_object_or_404(AccessToken.objects.select_related("instance"), pk=token_id)
        context = {"form": TokenForm(instance=token), "token": token}
        return render(
            request, "access/token_form.html", {**context, "rotate_form": RotateTokenForm(token)}
        )
    with transaction.atomic():
        token = _locked_token(token_id)
        form = TokenForm(request.POST, instance=token)
        if form.is_valid():
            token = form.save()
            messages.success(request, f"Saved the token {token.label}.")
            return redirect("access:token_detail", token.pk)
    context = {"form": form, "token": token, "rotate_form": RotateTokenForm(token)}
    return render(request, "access/token_form.html", context)


@role_required(Role.ADMIN)
@require_POST
def token_rotate(request, token_id: int):
    """Replace the secret; the token keeps its grants and its history of runs."""
    with transaction.atomic():
        token = _locked_token(token_id)
        form = RotateTokenForm(token, request.POST)
        if form.is_valid():
            form.save()
            messages.success(request, f"Replaced the secret of {token.label}; test it below.")
            return redirect("access:token_detail", token.pk)
    context = {"form": TokenForm(instance=token), "token": token, "rotate_form": form}
    return render(request, "access/token_form.html", context)


@role_required(Role.ADMIN)
@require_POST
def token_toggle(request, token_id: int):
    with transaction.atomic():
        token = _locked_token(token_id)
        token.is_active = not token.is_active
        token.save(update_fields=["is_active"])
    state = "enabled" if token.is_active else "disabled: no run can use it"
    messages.success(request, f"{token.label} is {state}.")
    return redirect("access:token_detail", token.pk)


@role_required(Role.ADMIN)
@require_POST
def token_test(request, token_id: int):
    token = test_connection(
        get_object_or_404(AccessToken.objects.select_related("instance"), pk=token_id)
    )
    record(
        AuditAction.TOKEN_TESTED,
        token.description,
        request=request,
        ok=token.last_check_ok,
        result=token.last_check_message,
    )
    if request.htmx:
        return render(request, "access/token_list.html#token-health", {"token": token})
    if request.POST.get("back") == "detail":
        return redirect("access:token_detail", token.pk)
    return redirect("access:token_list")


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def token_delete(request, token_id: int):
    token = get_object_or_404(AccessToken.objects.select_related("instance"), pk=token_id)
    if request.method == "POST":
        label = token.description
        token.delete()
        messages.success(request, f"Deleted the token {label}. Past runs keep its name.")
        return redirect("access:token_list")
    return render(request, "access/token_delete.html", {"token": token})


@role_required(Role.ADMIN)
@require_GET
def team(request):
    users = get_user_model().objects.order_by("username").prefetch_related("groups")
    rows = [
        (
            user,
            role_of(user),
            RoleForm(initial={"role": role_of(user).value}, prefix=f"user{user.pk}"),
        )
        for user in users
    ]
    return render(request, "access/team.html", {"rows": rows})


@role_required(Role.ADMIN)
@require_POST
def set_role(request, user_id: int):
    user = get_object_or_404(get_user_model(), pk=user_id)
    form = RoleForm(request.POST, prefix=f"user{user.pk}")
    if user == request.user:
        messages.error(request, "You cannot change your own role: ask another admin.")
    elif user.is_superuser:
        messages.error(request, f"{user} is a superuser, and so always an admin.")
    elif form.is_valid():
        role = form.cleaned_data["role"]
        with transaction.atomic():
            names = [r.group_name for r in ASSIGNABLE_ROLES]
            user.groups.remove(*user.groups.filter(name__in=names))
            if role != Role.NONE:
                user.groups.add(Group.objects.get_or_create(name=role.group_name)[0])
            user.is_staff = role == Role.ADMIN  # admins may use the Django admin too
            user.save(update_fields=["is_staff"])
        messages.success(request, f"{user} is now: {role.label}.")
    return redirect("access:team")


@role_required(Role.ADMIN)
@require_GET
def audit_log(request):
    events = AuditEvent.objects.all()
    action = request.GET.get("action", "")
    if action in AuditAction.values:
        events = events.filter(action=action)
    before = row_id(request.GET.get("before"))
    if before is not None:
        events = events.filter(pk__lt=before)
    page = list(events.order_by("-id")[: AUDIT_PAGE_SIZE + 1])
    context = {
        "events": page[:AUDIT_PAGE_SIZE],
        "next_before": page[AUDIT_PAGE_SIZE - 1].pk if len(page) > AUDIT_PAGE_SIZE else None,
        "actions": AuditAction.choices,
        "action": action,
    }
    return render(request, "access/audit_log.html", context)


@role_required(Role.NONE)
@require_POST
def set_theme(request):
    """Remember the theme a user picked; htmx gets the new toggle, others go back."""
    theme = request.POST.get("theme", "")
    if theme in Theme.values:
        UserPreferences.choose_theme(request, theme)
    else:
        theme = UserPreferences.theme_for(request)
    if request.htmx:
        context = {"theme": theme, "next_theme": THEME_CYCLE[Theme(theme)]}
        response = render(request, "base.html#theme-toggle", context)
        response["HX-Trigger"] = json.dumps({"themeChanged": theme})
        return response
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = "/"
    return redirect(back)
