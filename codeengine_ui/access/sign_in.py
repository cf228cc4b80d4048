"""Signing in: passwords, and the company's identity providers (OpenID Connect, through
django-allauth) whose roles claim can set each person's role at every login.

A provider's login and callback are allauth's, except that the callback keeps the raw ID
token in the session: logging out hands it back to the provider's end_session_endpoint
(RP-initiated logout), which is how the provider's own session ends too.
"""

import logging
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
import requests
from allauth.account import signals as account_signals
from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.dispatch import receiver
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from .audit import changes_made_by
from .roles import ASSIGNABLE_ROLES, Role, give_role

logger = logging.getLogger(__name__)

PROVIDER_SESSION_KEY = "signed_in_with"
ID_TOKEN_SESSION_KEY = "signed_in_id_token"
PASSWORD_BACKEND = "codeengine_ui.access.sign_in.PasswordBackend"
DISCOVERY_CACHE_SECONDS = 3600
DISCOVERY_TIMEOUT_SECONDS = 5
ROLE_BY_NAME = {role.group_name: role for role in ASSIGNABLE_ROLES}


@dataclass(frozen=True)
class IdentityProvider:
    id: str
    label: str
    server_url: str
    client_id: str


def identity_providers() -> list[IdentityProvider]:
    apps = settings.SOCIALACCOUNT_PROVIDERS.get("openid_connect", {}).get("APPS", [])
    return [
        IdentityProvider(
            id=app["provider_id"],
            label=app["name"],
            server_url=app["settings"]["server_url"],
            client_id=app["client_id"],
        )
        for app in apps
    ]


def identity_provider(provider_id: str | None) -> IdentityProvider | None:
    return next((p for p in identity_providers() if p.id == provider_id), None)


class PasswordBackend(ModelBackend):
    """Django's password check, refused to everyone but superusers when LOCAL_PASSWORDS is
    off. Sessions however they were started (a password, a provider) are read back here."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and not settings.LOCAL_PASSWORDS and not user.is_superuser:
            return None
        return user


class AccountAdapter(DefaultAccountAdapter):
    """Nobody signs up with a password: admins add people, or a provider vouches for them."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def login(self, request: HttpRequest, user) -> None:
        user.backend = PASSWORD_BACKEND
        super().login(request, user)

    def respond_user_inactive(self, request: HttpRequest, user) -> HttpResponse:
        return render(
            request,
            "registration/sign_in_refused.html",
            {"reason": "This account is deactivated in the console: ask an admin."},
            status=403,
        )


class ProviderAccountAdapter(DefaultSocialAccountAdapter):
    """Whoever the company's identity provider signs in gets an account (with no role,
    unless the roles claim gives one)."""

    def is_open_for_signup(self, request: HttpRequest, sociallogin) -> bool:
        return True

    def on_authentication_error(self, request, provider, error=None, exception=None,
                                extra_context=None):  # fmt: skip
        logger.warning(
            "Sign-in with %s failed: %s %s", getattr(provider, "id", provider), error, exception
        )


class _IdTokenKeepingAdapter(OpenIDConnectOAuth2Adapter):
    def complete_login(self, request: HttpRequest, app, token, **kwargs):
        sociallogin = super().complete_login(request, app, token, **kwargs)
        sociallogin.raw_id_token = kwargs["response"].get("id_token", "")
        return sociallogin


@login_not_required
def provider_login(request: HttpRequest, provider_id: str) -> HttpResponse:
    """allauth's OpenID Connect login (to the provider's authorization page)."""
    return _unless_unreachable(request, provider_id, OAuth2LoginView, OpenIDConnectOAuth2Adapter)


@login_not_required
def provider_callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    """allauth's OpenID Connect callback, keeping the raw ID token for logging out; an
    account it creates is recorded as made by the provider."""
    provider = identity_provider(provider_id)
    request.audit_source = f"{provider.label if provider else provider_id} (sign-in)"
    return _unless_unreachable(request, provider_id, OAuth2CallbackView, _IdTokenKeepingAdapter)


def _unless_unreachable(request, provider_id, view_class, adapter_class) -> HttpResponse:
    """The view, or a page that says the provider did not answer (its discovery document,
    keys or token endpoint out of reach, or not JSON) instead of an error."""
    try:
        return view_class.adapter_view(adapter_class(request, provider_id))(request)
    except SocialApp.DoesNotExist as missing:
        raise Http404("No such identity provider.") from missing
    except (requests.RequestException, ValueError, KeyError) as error:
        provider = identity_provider(provider_id)
        label = provider.label if provider else provider_id
        logger.warning("Sign-in with %s: the provider did not answer: %s", provider_id, error)
        reason = (
            f"{label} did not answer the console, so nobody can sign in with it right now. "
            "Try again in a moment; if it lasts, an admin can check the provider's address "
            "(its SERVER_URL) and the break-glass login still works."
        )
        return render(request, "registration/sign_in_refused.html", {"reason": reason}, status=502)


# --- Roles from the provider's claim --------------------------------------------------------


def claims_of(sociallogin) -> dict:
    """The ID token's claims overlaid with the userinfo answer's (either may hold groups)."""
    data = sociallogin.account.extra_data or {}
    id_token = data.get("id_token") if isinstance(data.get("id_token"), dict) else {}
    userinfo = data.get("userinfo") if isinstance(data.get("userinfo"), dict) else {}
    if not id_token and not userinfo:
        return dict(data)
    return {**id_token, **userinfo}


def role_from_claims(claims: dict) -> Role | None:
    """The highest role the roles claim maps to (NONE when it maps to none); None when the
    console does not take roles from the provider, or the provider left the claim out
    (Azure AD's "overage": too many groups to fit, to be read from Microsoft Graph)."""
    role_map = settings.OIDC_ROLE_MAP
    claim = settings.OIDC_ROLES_CLAIM
    if not role_map:
        return None
    value = claims.get(claim)
    if value is None and claim in (claims.get("_claim_names") or {}):
        return None
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    roles = [
        ROLE_BY_NAME[role_map[item].strip().lower()]
        for item in values
        if isinstance(item, str) and item in role_map
    ]
    return max(roles, default=Role.NONE)


@receiver(account_signals.user_logged_in, dispatch_uid="roles_from_identity_provider")
def _signed_in(sender, request, user, sociallogin=None, **kwargs):
    if sociallogin is None:
        return
    provider = identity_provider(sociallogin.account.provider)
    request.session[PROVIDER_SESSION_KEY] = sociallogin.account.provider
    request.session[ID_TOKEN_SESSION_KEY] = getattr(sociallogin, "raw_id_token", "")
    role = role_from_claims(claims_of(sociallogin))
    if role is None or user.is_superuser:
        if settings.OIDC_ROLE_MAP and role is None:
            logger.warning(
                "%s sent no %s claim for %s but says where to read it (overage): role kept",
                sociallogin.account.provider, settings.OIDC_ROLES_CLAIM, user,
            )  # fmt: skip
        return
    label = provider.label if provider else sociallogin.account.provider
    with changes_made_by(f"{label} ({settings.OIDC_ROLES_CLAIM} claim)"):
        give_role(user, role)


# --- Logging out of the provider too --------------------------------------------------------


def _end_session_endpoint(provider: IdentityProvider) -> str:
    """The provider's end_session_endpoint from its discovery document ("" if it has none
    or cannot be read now)."""
    key = f"oidc-end-session:{provider.server_url}"
    endpoint = cache.get(key)
    if endpoint is not None:
        return endpoint
    url = provider.server_url
    if "/.well-known/" not in url:
        url = url.rstrip("/") + "/.well-known/openid-configuration"
    try:
        answer = httpx.get(url, timeout=DISCOVERY_TIMEOUT_SECONDS)
        answer.raise_for_status()
        endpoint = answer.json().get("end_session_endpoint") or ""
    except (httpx.HTTPError, ValueError, AttributeError) as error:
        logger.warning("Could not read %s's discovery document: %s", provider.id, error)
        return ""
    if not isinstance(endpoint, str) or not endpoint.startswith(("https://", "http://")):
        endpoint = ""
    cache.set(key, endpoint, DISCOVERY_CACHE_SECONDS)
    return endpoint


def provider_logout_url(request: HttpRequest, provider_id: str | None, id_token: str) -> str:
    """Where to send a browser that just logged out of the console so that the provider's
    session ends too; "" when it was not signed in by a provider that offers it."""
    provider = identity_provider(provider_id)
    if provider is None:
        return ""
    endpoint = _end_session_endpoint(provider)
    if not endpoint:
        return ""
    params = {
        "client_id": provider.client_id,
        "post_logout_redirect_uri": request.build_absolute_uri(reverse("login")),
    }
    if id_token:
        params["id_token_hint"] = id_token
    separator = "&" if "?" in endpoint else "?"
    return f"{endpoint}{separator}{urlencode(params)}"
