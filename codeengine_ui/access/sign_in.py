"""Signing in: passwords, and the company's identity providers (OpenID Connect, through
django-allauth) whose roles claim can set each person's role at every login.

A provider's login and callback are allauth's, except that the callback keeps the raw ID
token in the session: logging out hands it back to the provider's end_session_endpoint
(RP-initiated logout), which is how the provider's own session ends too.

A provider's identity reaches an account the console already has only through a link: made
by the account's owner while signed in (the profile's "Link your ... sign-in"), or at sign-in
by a verified email when that provider is allowed to (OIDC_<NAME>_LINK_BY_EMAIL), never for
a superuser's or a staff account. Any other sign-in whose email an account already has is
refused, and superusers (the break-glass login) are never signed in by a provider at all.
Refusals, failures, links and unlinks are written to the audit log, never with a credential.
"""

import logging
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
import requests
from allauth.account import signals as account_signals
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.internal.flows.connect import disconnect, validate_disconnect
from allauth.socialaccount.models import SocialAccount, SocialApp
from allauth.socialaccount.providers.base.constants import AuthProcess
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from .audit import changes_made_by, record, record_repeated
from .models import AuditAction
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
    # Its sign-in with a verified email may reach the account that has that address.
    links_by_email: bool = False


def identity_providers() -> list[IdentityProvider]:
    apps = settings.SOCIALACCOUNT_PROVIDERS.get("openid_connect", {}).get("APPS", [])
    return [
        IdentityProvider(
            id=app["provider_id"],
            label=app["name"],
            server_url=app["settings"]["server_url"],
            client_id=app["client_id"],
            links_by_email=bool(app["settings"].get("email_authentication", False)),
        )
        for app in apps
    ]


def identity_provider(provider_id: str | None) -> IdentityProvider | None:
    return next((p for p in identity_providers() if p.id == provider_id), None)


def provider_label(provider_id: str | None) -> str:
    provider = identity_provider(provider_id)
    return provider.label if provider else str(provider_id)


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
    unless the roles claim gives one), unless the console already has an account with
    their email: that one is reached only through a link (see sign_in_refusal)."""

    def is_open_for_signup(self, request: HttpRequest, sociallogin) -> bool:
        return True

    def pre_social_login(self, request: HttpRequest, sociallogin) -> None:
        linking = _linking(sociallogin)
        if linking:
            request.audit_source = None  # the person linking is who links
        refusal = link_refusal(request.user) if linking else sign_in_refusal(sociallogin)
        if refusal is None:
            return
        _record_refusal(request, sociallogin, refusal)
        if linking:
            messages.error(request, refusal.message)
            raise ImmediateHttpResponse(redirect("access:profile"))
        page = render(
            request, "registration/sign_in_refused.html", {"reason": refusal.message}, status=403
        )
        raise ImmediateHttpResponse(page)

    def authenticate_by_email(self, sociallogin):
        """The one account a verified email names, when the provider links by email and
        the account may be reached that way; None otherwise (and always while linking)."""
        provider = identity_provider(sociallogin.account.provider)
        if _linking(sociallogin) or provider is None or not provider.links_by_email:
            return None
        for address in sociallogin.email_addresses:
            holders = accounts_with_email(address.email) if address.verified else []
            if len(holders) == 1 and may_link_by_email(holders[0]):
                return holders[0], address.email
        return None

    def get_connect_redirect_url(self, request: HttpRequest, socialaccount) -> str:
        return reverse("access:profile")

    def on_authentication_error(self, request, provider, error=None, exception=None,
                                extra_context=None):  # fmt: skip
        provider_id = getattr(provider, "sub_id", None) or getattr(provider, "id", provider)
        record_sign_in_failure(request, provider_id, str(error or "unknown"), exception)


def _linking(sociallogin) -> bool:
    """Whether this is a signed-in person linking their account (allauth's "connect")."""
    return sociallogin.state.get("process") == AuthProcess.CONNECT


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
    request.audit_source = f"{provider_label(provider_id)} (sign-in)"
    return _unless_unreachable(request, provider_id, OAuth2CallbackView, _IdTokenKeepingAdapter)


def _unless_unreachable(request, provider_id, view_class, adapter_class) -> HttpResponse:
    """The view, or a page that says the provider did not answer (its discovery document,
    keys or token endpoint out of reach, or not JSON) instead of an error."""
    try:
        return view_class.adapter_view(adapter_class(request, provider_id))(request)
    except SocialApp.DoesNotExist as missing:
        raise Http404("No such identity provider.") from missing
    except (requests.RequestException, ValueError, KeyError) as error:
        label = provider_label(provider_id)
        record_sign_in_failure(request, provider_id, "provider did not answer", error)
        reason = (
            f"{label} did not answer the console, so nobody can sign in with it right now. "
            "Try again in a moment; if it lasts, an admin can check the provider's address "
            "(its SERVER_URL) and the break-glass login still works."
        )
        return render(request, "registration/sign_in_refused.html", {"reason": reason}, status=502)


# --- Which account a provider's identity may reach -----------------------------------------


@dataclass(frozen=True)
class Refusal:
    """Why a provider sign-in (or link) may not go on: `why` for the audit log, `message`
    for the person; `account` is the existing account it would have reached."""

    why: str
    message: str
    account: object = None


def accounts_with_email(email: str) -> list:
    """The accounts that have `email`, compared without regard to case: the user's own
    field and the addresses allauth keeps for the accounts it created."""
    if not email:
        return []
    users = get_user_model().objects
    holders = {
        *users.filter(email__iexact=email),
        *users.filter(pk__in=EmailAddress.objects.filter(email__iexact=email).values("user")),
    }
    return sorted(holders, key=lambda user: user.pk)


def may_link_by_email(user) -> bool:
    """An email claim never reaches a superuser (the break-glass login) or a staff account,
    whatever the provider's setting."""
    return user.is_active and not user.is_superuser and not user.is_staff


def claimed_emails(sociallogin) -> list[str]:
    """The addresses the provider says this person has (verified or not), each once, as
    the provider wrote them."""
    claimed = claims_of(sociallogin).get("email")
    found = [claimed] if isinstance(claimed, str) else []
    found += [address.email for address in sociallogin.email_addresses]
    if sociallogin.user is not None and getattr(sociallogin.user, "email", ""):
        found.append(sociallogin.user.email)
    unique: dict[str, str] = {}
    for email in found:
        if email:
            unique.setdefault(email.lower(), email)
    return list(unique.values())


def sign_in_refusal(sociallogin) -> Refusal | None:
    """None when the sign-in may go on: to the account its identity is linked to (unless a
    superuser's or deactivated), or to a new account when no account has its email."""
    label = provider_label(sociallogin.account.provider)
    if sociallogin.is_existing:
        account = sociallogin.user
        if account.is_superuser:
            return Refusal(
                "linked to a superuser: the break-glass account logs in only with its password",
                f"This {label} sign-in is linked to the console's break-glass account, which "
                "logs in only with its password. Ask an admin.",
                account,
            )
        if not account.is_active:
            return Refusal(
                "account deactivated",
                "This account is deactivated in the console: ask an admin.",
                account,
            )
        return None
    for email in claimed_emails(sociallogin):
        holders = accounts_with_email(email)
        if holders:
            return Refusal(
                _why_not_linked_by_email(sociallogin, holders, email),
                f"An account with this e-mail already exists in the console; sign in with it "
                f"and link {label} from your profile.",
                holders[0],
            )
    return None


def _why_not_linked_by_email(sociallogin, holders: list, email: str) -> str:
    if any(user.is_superuser or user.is_staff for user in holders):
        return "email of a superuser or staff account, which is never linked by email"
    provider = identity_provider(sociallogin.account.provider)
    if provider is None or not provider.links_by_email:
        return "email of an existing account, and this provider does not link by email"
    if len(holders) > 1:
        return "email of several accounts"
    if not any(a.verified for a in sociallogin.email_addresses if a.email.lower() == email.lower()):
        return "email of an existing account, not verified by the provider"
    return "email of a deactivated account"


def link_refusal(user) -> Refusal | None:
    """Superusers are the break-glass login: no provider is ever linked to one."""
    if not user.is_superuser:
        return None
    return Refusal(
        "a superuser is never linked to a provider",
        "This is a superuser, the console's break-glass account: it logs in only with its "
        "password and is never linked to an identity provider.",
        user,
    )


def _record_refusal(request: HttpRequest, sociallogin, refusal: Refusal) -> None:
    account = refusal.account
    subject = sociallogin.account.uid
    label = provider_label(sociallogin.account.provider)
    record(
        AuditAction.SIGN_IN_REFUSED,
        f"user {account.get_username()}" if account is not None else f"{label} {subject}",
        request=request,
        provider=label,
        subject=subject,
        emails=claimed_emails(sociallogin),
        why=refusal.why,
    )
    logger.warning("Sign-in with %s as %s refused: %s", label, subject, refusal.why)


def failure_description(exception: BaseException | None) -> str:
    """The exception's kind and its message up to the first colon: what follows may quote
    the provider's answer or a request, which can hold a code or a token."""
    if exception is None:
        return ""
    text = str(exception).split(":", 1)[0].strip()[:200]
    name = type(exception).__name__
    return f"{name}: {text}" if text else name


def record_sign_in_failure(request: HttpRequest, provider_id, error: str, exception=None) -> None:
    label = provider_label(provider_id)
    details = {"provider": label, "error": error}
    if exception is not None:
        details["exception"] = failure_description(exception)
    record_repeated(AuditAction.SIGN_IN_FAILED, f"provider {label}", request=request, **details)
    logger.warning("Sign-in with %s failed: %s %s", label, error, details.get("exception", ""))


# --- Linked identities: listed and unlinked from the profile, audited however made --------


@dataclass(frozen=True)
class LinkedIdentity:
    id: int
    provider: str
    subject: str


def linked_identities(user) -> list[LinkedIdentity]:
    return [
        LinkedIdentity(account.pk, provider_label(account.provider), account.uid)
        for account in SocialAccount.objects.filter(user=user).order_by("provider", "pk")
    ]


def providers_to_link(user) -> list[IdentityProvider]:
    """The providers `user` may link a sign-in of theirs with (none for a superuser)."""
    if link_refusal(user) is not None:
        return []
    linked = set(SocialAccount.objects.filter(user=user).values_list("provider", flat=True))
    return [provider for provider in identity_providers() if provider.id not in linked]


def remove_identity_link(request: HttpRequest, account: SocialAccount) -> None:
    """Unlinks the owner's identity, unless it is how they sign in: raises ValidationError."""
    user = account.user
    others = SocialAccount.objects.filter(user=user).exclude(pk=account.pk)
    passwords_work = user.has_usable_password() and (settings.LOCAL_PASSWORDS or user.is_superuser)
    if not others.exists() and not passwords_work:
        raise ValidationError(
            f"This is how you sign in: unlinking {provider_label(account.provider)} would lock "
            "you out of the console.",
            code="last_sign_in",
        )
    validate_disconnect(request, account)
    disconnect(request, account)


@receiver(post_save, sender=SocialAccount, dispatch_uid="audit_identity_linked")
def _identity_linked(sender, instance: SocialAccount, created: bool, **kwargs):
    if created:
        record(
            AuditAction.IDENTITY_LINKED,
            f"user {instance.user.get_username()}",
            provider=provider_label(instance.provider),
            subject=instance.uid,
        )


@receiver(post_delete, sender=SocialAccount, dispatch_uid="audit_identity_unlinked")
def _identity_unlinked(sender, instance: SocialAccount, **kwargs):
    record(
        AuditAction.IDENTITY_UNLINKED,
        f"user {instance.user.get_username()}",
        provider=provider_label(instance.provider),
        subject=instance.uid,
    )


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
