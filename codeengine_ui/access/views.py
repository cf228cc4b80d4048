"""Admin pages of the console: tokens, the team's roles, and the audit log."""

import json

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from codeengine_ui.htmx_requests import HtmxHttpRequest
from codeengine_ui.keyset import newest_first
from codeengine_ui.request_values import row_id

from .context_processors import THEME_CYCLE
from .forms import RoleForm
from .models import AuditAction, AuditEvent, Theme, UserPreferences
from .roles import ASSIGNABLE_ROLES, Role, role_of, role_required

AUDIT_PAGE_SIZE = 100


@role_required(Role.ADMIN)
@require_GET
def team(request: HtmxHttpRequest) -> HttpResponse:
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
def set_role(request: HtmxHttpRequest, user_id: int) -> HttpResponse:
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
def audit_log(request: HtmxHttpRequest) -> HttpResponse:
    events = AuditEvent.objects.all()
    action = request.GET.get("action", "")
    if action in AuditAction.values:
        events = events.filter(action=action)
    page = newest_first(events, row_id(request.GET.get("before")), AUDIT_PAGE_SIZE)
    context = {
        "events": page.rows,
        "next_before": page.next_before,
        "actions": AuditAction.choices,
        "action": action,
    }
    return render(request, "access/audit_log.html", context)


@role_required(Role.NONE)
@require_POST
def set_theme(request: HtmxHttpRequest) -> HttpResponse:
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
