"""Signing in and out, and the admin pages of the console: the team's roles, API keys and
the audit log."""

import json
import secrets

from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import url_has_allowed_host_and_scheme, urlencode, urlsafe_base64_encode
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import push_url

from codeengine_ui.htmx_requests import HtmxHttpRequest
from codeengine_ui.keyset import newest_first
from codeengine_ui.request_values import row_id
from codeengine_ui.timezones import server_today

from .audit import record
from .audit_details import detail_lines, referenced_names
from .context_processors import THEME_CYCLE
from .forms import ApiKeyForm, AuditFilterForm, NewUserForm, PasswordLoginForm, RoleForm
from .models import ApiKey, AuditAction, AuditEvent, Theme, UserPreferences
from .roles import (
    Role,
    allow_load_runs,
    give_role,
    has_role,
    may_start_load_runs,
    role_of,
    role_required,
)
from .sign_in import (
    ID_TOKEN_SESSION_KEY,
    PROVIDER_SESSION_KEY,
    identity_providers,
    link_refusal,
    linked_identities,
    provider_logout_url,
    providers_to_link,
    remove_identity_link,
)

AUDIT_PAGE_SIZE = 50


@role_required(Role.ADMIN)
@require_GET
def team(request: HtmxHttpRequest) -> HttpResponse:
    users = get_user_model().objects.order_by("username").prefetch_related("groups")
    rows = [
        (
            user,
            role_of(user),
            RoleForm(initial={"role": role_of(user).value}, prefix=f"user{user.pk}"),
            may_start_load_runs(user),
        )
        for user in users
    ]
    providers = identity_providers() if settings.OIDC_ROLE_MAP else []
    return render(
        request,
        "access/team.html",
        {
            "rows": rows,
            "roles_from_provider": " or ".join(provider.label for provider in providers),
            "roles_claim": settings.OIDC_ROLES_CLAIM,
            "local_passwords": settings.LOCAL_PASSWORDS,
        },
    )


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
        give_role(user, role)
        messages.success(request, f"{user} is now: {role.label}.")
    return redirect("access:team")


@role_required(Role.ADMIN)
@require_POST
def set_load_runs(request: HtmxHttpRequest, user_id: int) -> HttpResponse:
    """Give a member the "load" permission, or take it back (audited)."""
    person = get_object_or_404(get_user_model(), pk=user_id)
    allowed = request.POST.get("allowed") == "1"
    if role_of(person) != Role.MEMBER:
        messages.error(request, "Only members need it: admins may always start load runs.")
    else:
        allow_load_runs(person, allowed)
        verb = "may now start load runs" if allowed else "may no longer start load runs"
        messages.success(request, f"{person} {verb}.")
    return redirect("access:team")


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def add_user(request: HtmxHttpRequest) -> HttpResponse:
    """A new person on the team, with a role and a way to their first password. The
    password or link is shown on the answer once, never stored in a message or a log."""
    form = NewUserForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return render(request, "access/add_user.html", {"form": form})
    data = form.cleaned_data
    password = None
    with transaction.atomic():
        user = get_user_model()(username=data["username"], email=data["email"])
        if data["password_by"] == NewUserForm.ONE_TIME:
            password = secrets.token_urlsafe(12)
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        give_role(user, data["role"])
    context = {"new_user": user, "role": data["role"], "password": password, **_link_days()}
    if data["password_by"] == NewUserForm.PROVIDER:
        context["providers"] = " or ".join(p.label for p in identity_providers())
    elif password is None:
        context["link"] = _password_link(request, user)
    return render(request, "access/user_added.html", context)


@role_required(Role.ADMIN)
@require_POST
def password_link(request: HtmxHttpRequest, user_id: int) -> HttpResponse:
    """A link where someone chooses a new password (a forgotten one, a first one)."""
    person = get_object_or_404(get_user_model(), pk=user_id)
    context = {
        "new_user": person,
        "role": role_of(person),
        "link": _password_link(request, person),
        **_link_days(),
    }
    return render(request, "access/user_added.html", context)


def _link_days() -> dict:
    return {"link_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)}


def _password_link(request, user) -> str:
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return request.build_absolute_uri(path)


@role_required(Role.ADMIN)
@require_GET
def audit_log(request: HtmxHttpRequest) -> HttpResponse:
    """Who changed what, newest first: filters in the URL, pages continue with ?before=.
    The filter form and the pager swap the results in place and keep the address."""
    filters = AuditFilterForm(request.GET or None)
    before = row_id(request.GET.get("before"))
    page = newest_first(filters.apply(AuditEvent.objects.all()), before, AUDIT_PAGE_SIZE)
    names = referenced_names(page.rows)
    query = urlencode(filters.query())
    context = {
        "filters": filters,
        "rows": [(event, detail_lines(event, names)) for event in page.rows],
        "next_before": page.next_before,
        "query": query,
        "is_first_page": before is None,
        "actors": get_user_model().objects.order_by("username").values_list("username", flat=True),
        "system_actor": AuditFilterForm.SYSTEM,
    }
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, "access/audit_log.html#audit-results", context)
        address = "?".join(filter(None, [request.path, query]))
        if before is not None:
            address += f"{'&' if query else '?'}before={before}"
        return push_url(response, address)
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


# --- API keys ------------------------------------------------------------------------------


@role_required(Role.NONE)
@require_http_methods(["GET", "POST"])
def profile(request: HtmxHttpRequest) -> HttpResponse:
    """The user's own page: their API keys (a new one is shown once), their password and
    the identity providers' sign-ins linked to their account."""
    form = ApiKeyForm(request.user, request.POST or None)
    created, created_scope = None, ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            key, created = ApiKey.issue(
                request.user, data["name"], data["scope"], data["expires_on"]
            )
        except ValidationError as refusal:  # a parallel request took the name or the room
            form.add_error(None, refusal)
        else:
            record(AuditAction.API_KEY_CREATED, str(key), scope=key.scope)
            created_scope = key.scope
            form = ApiKeyForm(request.user)
    context = {
        "form": form,
        "created": created,
        "created_scope": created_scope,
        "keys": request.user.api_keys.select_related("tool_limit"),
        "keys_allowed": settings.API_KEYS_PER_USER,
        "today": server_today(),
        "identities": linked_identities(request.user),
        "providers_to_link": providers_to_link(request.user),
        "link_refusal": link_refusal(request.user) if identity_providers() else None,
        "roles_claim": settings.OIDC_ROLES_CLAIM if settings.OIDC_ROLE_MAP else "",
    }
    return render(request, "access/profile.html", context)


@role_required(Role.NONE)
@require_POST
def unlink_identity(request: HtmxHttpRequest, account_id: int) -> HttpResponse:
    """Unlink one of the user's own provider sign-ins (never the last way they sign in)."""
    account = get_object_or_404(SocialAccount, pk=account_id, user=request.user)
    try:
        remove_identity_link(request, account)
    except ValidationError as refused:
        messages.error(request, refused.messages[0])
    return redirect("access:profile")


@role_required(Role.NONE)
@require_POST
def revoke_api_key(request: HtmxHttpRequest, key_id: int) -> HttpResponse:
    """Revoke a key: its owner, or an admin."""
    keys = ApiKey.objects.all() if has_role(request.user, Role.ADMIN) else request.user.api_keys
    key = get_object_or_404(keys, pk=key_id)
    if key.revoked_at is None:
        key.revoked_at, key.revoked_by = timezone.now(), request.user
        key.save(update_fields=["revoked_at", "revoked_by"])
        record(AuditAction.API_KEY_REVOKED, str(key), owner=key.user.get_username())
        messages.success(request, f"Revoked the key “{key.name}”: it no longer works.")
    next_page = request.POST.get("next", "")
    if next_page == "all" and has_role(request.user, Role.ADMIN):
        return redirect("access:api_keys")
    return redirect("access:profile")


@role_required(Role.ADMIN)
@require_GET
def api_keys(request: HtmxHttpRequest) -> HttpResponse:
    """Every API key of the team, for admins to see and revoke."""
    keys = ApiKey.objects.select_related("user", "revoked_by")
    return render(request, "access/api_keys.html", {"keys": keys, "today": server_today()})


class SignInView(auth_views.LoginView):
    """The login page: a button per identity provider, and the password form (with local
    passwords off, only behind the break-glass link)."""

    form_class = PasswordLoginForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        break_glass = self.request.GET.get("password") == "1" or self.request.method == "POST"
        context.update(
            identity_providers=identity_providers(),
            show_password_form=settings.LOCAL_PASSWORDS or break_glass,
            local_passwords=settings.LOCAL_PASSWORDS,
        )
        return context


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """Where a link from an admin leads: the person chooses a (first or new) password. The
    link proves who they are, so the audit log names them, though nobody is logged in."""

    def form_valid(self, form):
        self.request.audit_actor = self.user
        return super().form_valid(form)


class SignOutView(auth_views.LogoutView):
    """Logs out of the console and, when an identity provider signed the person in and
    offers it, sends the browser on to end the provider's session too."""

    def post(self, request, *args, **kwargs):
        provider_id = request.session.get(PROVIDER_SESSION_KEY)
        id_token = request.session.get(ID_TOKEN_SESSION_KEY, "")
        response = super().post(request, *args, **kwargs)
        if provider_id and (end_session := provider_logout_url(request, provider_id, id_token)):
            return redirect(end_session)
        return response
