"""Taking over a console account through the identity provider's sign-in: an identity whose
email claim names an existing account (in any letter case) never reaches that account
unless the provider is allowed to link by email, and never a superuser's or a staff
account; the break-glass superuser is never changed by a provider sign-in; refusals and
failures are audited without a credential; a person links their own account from their
profile while signed in. Driven through the real OpenID Connect provider on loopback."""

import json
import logging
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model

from codeengine_ui.access.models import AuditAction, AuditEvent
from codeengine_ui.access.roles import Role, give_role, role_of
from tests.access.test_sign_in import sign_in
from tests.identity_provider import PROVIDER_ID, PROVIDER_LABEL, link_by_email

pytestmark = pytest.mark.django_db

BREAK_GLASS_PASSWORD = "glass-password-123"
EMAIL_TAKEN = (
    "An account with this e-mail already exists in the console; sign in with it and link "
    f"{PROVIDER_LABEL} from your profile."
)


@pytest.fixture
def break_glass(django_user_model):
    return django_user_model.objects.create_superuser(
        "admin",
        email="admin@acme.example",
        password=BREAK_GLASS_PASSWORD,
        first_name="Break",
        last_name="Glass",
    )


@pytest.fixture
def staff_admin(django_user_model):
    alice = django_user_model.objects.create_user(
        "alice", email="alice@acme.example", password="alice-password-123"
    )
    give_role(alice, Role.ADMIN)
    assert alice.is_staff
    return alice


@pytest.fixture
def local_member(django_user_model):
    carol = django_user_model.objects.create_user(
        "carol", email="Carol@Acme.example", password="carol-password-123"
    )
    give_role(carol, Role.MEMBER)
    return carol


def stored(user) -> dict:
    """What the database holds for `user`, to compare before and after a sign-in."""
    fresh = get_user_model().objects.get(pk=user.pk)
    return {
        "password": fresh.password,
        "email": fresh.email,
        "first_name": fresh.first_name,
        "last_name": fresh.last_name,
        "is_active": fresh.is_active,
        "is_staff": fresh.is_staff,
        "is_superuser": fresh.is_superuser,
        "groups": sorted(fresh.groups.values_list("name", flat=True)),
        "identities": list(SocialAccount.objects.filter(user=fresh).values_list("uid", flat=True)),
    }


def link_from_profile(client, provider, sub: str):
    """The signed-in person's round trip from their profile's "Link your ... sign-in"."""
    profile = client.get("/profile/")
    assert f"Link your {PROVIDER_LABEL} sign-in" in profile.text
    start = client.post(
        f"/accounts/oidc/{PROVIDER_ID}/login/", {"process": "connect", "next": "/profile/"}
    )
    assert start.status_code == 302, start.content
    consent = httpx.post(start["Location"], data={"sub": sub})
    back = urlsplit(consent.headers["location"])
    return client.get(back.path, parse_qs(back.query))


def assert_refused_as_email_taken(client, answer):
    assert answer.status_code == 403
    assert "Sign-in refused" in answer.text and EMAIL_TAKEN in answer.text
    assert client.get("/tokens/").status_code == 302  # nobody signed in: sent to log in
    assert client.get("/").status_code == 302


def logs_in_with_password(client, username: str, password: str) -> bool:
    answer = client.post("/accounts/login/", {"username": username, "password": password})
    return answer.status_code == 302 and client.get("/tokens/").status_code == 200


def refusals() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditAction.SIGN_IN_REFUSED).order_by("pk"))


@pytest.mark.parametrize("linking_by_email", [False, True], ids=["linking-off", "linking-on"])
def test_a_case_different_email_does_not_take_over_the_break_glass_superuser(
    client, settings, identity_provider, break_glass, linking_by_email
):
    link_by_email(settings, linking_by_email)
    before = stored(break_glass)
    accounts = get_user_model().objects.count()
    identity_provider.add_user(
        "mallory", email="ADMIN@acme.example", email_verified=True, groups=["ce-readers"]
    )

    answer = sign_in(client, identity_provider, "mallory")

    assert_refused_as_email_taken(client, answer)
    assert stored(break_glass) == before
    assert get_user_model().objects.count() == accounts
    assert not SocialAccount.objects.exists()
    [refusal] = refusals()
    assert refusal.target == "user admin"
    assert refusal.actor is None and refusal.actor_name == f"{PROVIDER_LABEL} (sign-in)"
    assert refusal.details == {
        "provider": PROVIDER_LABEL,
        "subject": "mallory",
        "emails": ["ADMIN@acme.example"],
        "why": "email of a superuser or staff account, which is never linked by email",
    }
    assert logs_in_with_password(client, "admin", BREAK_GLASS_PASSWORD)


@pytest.mark.parametrize("linking_by_email", [False, True], ids=["linking-off", "linking-on"])
def test_a_case_different_email_does_not_take_over_a_staff_admin(
    client, settings, identity_provider, staff_admin, linking_by_email
):
    link_by_email(settings, linking_by_email)
    before = stored(staff_admin)
    identity_provider.add_user(
        "mallory", email="Alice@ACME.example", email_verified=True, groups=["ce-readers"]
    )

    answer = sign_in(client, identity_provider, "mallory")

    assert_refused_as_email_taken(client, answer)
    assert stored(staff_admin) == before and role_of(staff_admin) == Role.ADMIN
    assert [(e.target, e.details["subject"]) for e in refusals()] == [("user alice", "mallory")]
    assert not get_user_model().objects.exclude(username="alice").exists()


def test_with_linking_off_a_members_email_does_not_reach_their_account(
    client, identity_provider, local_member
):
    before = stored(local_member)
    identity_provider.add_user(
        "mallory", email="carol@acme.example", email_verified=True, groups=["ce-admins"]
    )

    answer = sign_in(client, identity_provider, "mallory")

    assert_refused_as_email_taken(client, answer)
    assert stored(local_member) == before
    # No second account bound to the same address either.
    assert get_user_model().objects.filter(email__iexact="carol@acme.example").count() == 1
    [refusal] = refusals()
    assert refusal.target == "user carol"
    assert refusal.details["why"] == (
        "email of an existing account, and this provider does not link by email"
    )


def test_with_linking_on_a_members_verified_email_links_but_never_a_superuser_or_staff(
    client, settings, identity_provider, local_member, break_glass, staff_admin
):
    link_by_email(settings)
    protected = {user.username: stored(user) for user in (break_glass, staff_admin)}
    identity_provider.add_user(
        "carol-sub", email="carol@acme.example", email_verified=True, groups=["ce-developers"]
    )
    identity_provider.add_user(
        "unverified", email="carol@acme.example", email_verified=False, groups=["ce-admins"]
    )
    identity_provider.add_user("root-sub", email="admin@acme.example", email_verified=True)
    identity_provider.add_user("alice-sub", email="alice@acme.example", email_verified=True)

    linked = sign_in(client, identity_provider, "carol-sub")
    assert linked.status_code == 302 and client.get("/").status_code == 200
    assert client.get("/").context["user"] == local_member
    assert local_member.socialaccount_set.get().uid == "carol-sub"
    local_member.refresh_from_db()
    assert not local_member.has_usable_password()  # django-allauth's rule when linking by email
    link = AuditEvent.objects.get(action=AuditAction.IDENTITY_LINKED)
    assert link.target == "user carol" and link.actor_name == f"{PROVIDER_LABEL} (sign-in)"
    assert link.details == {"provider": PROVIDER_LABEL, "subject": "carol-sub"}
    client.post("/accounts/logout/")

    for sub in ("unverified", "root-sub", "alice-sub"):
        assert_refused_as_email_taken(client, sign_in(client, identity_provider, sub))

    assert {user.username: stored(user) for user in (break_glass, staff_admin)} == protected
    assert [(e.target, e.details["why"]) for e in refusals()] == [
        ("user carol", "email of an existing account, not verified by the provider"),
        ("user admin", "email of a superuser or staff account, which is never linked by email"),
        ("user alice", "email of a superuser or staff account, which is never linked by email"),
    ]
    assert SocialAccount.objects.count() == 1


def test_the_real_admin_signing_in_with_the_provider_changes_nothing_of_the_break_glass_account(
    client, settings, identity_provider, break_glass
):
    link_by_email(settings)
    before = stored(break_glass)
    identity_provider.add_user(
        "the-admin", preferred_username="admin", email="admin@acme.example",
        email_verified=True, name="Somebody Else", groups=["ce-readers"],
    )  # fmt: skip

    answer = sign_in(client, identity_provider, "the-admin")

    assert_refused_as_email_taken(client, answer)
    assert stored(break_glass) == before
    changes = AuditEvent.objects.filter(
        action__in=[AuditAction.PASSWORD_CHANGED, AuditAction.USER_CHANGED,
                    AuditAction.ROLE_CHANGED, AuditAction.IDENTITY_LINKED],
    )  # fmt: skip
    assert not changes.exists()
    assert logs_in_with_password(client, "admin", BREAK_GLASS_PASSWORD)


def test_an_identity_already_linked_to_a_superuser_never_signs_in_to_it(
    client, identity_provider, break_glass
):
    SocialAccount.objects.create(user=break_glass, provider=PROVIDER_ID, uid="mallory")
    before = stored(break_glass)
    identity_provider.add_user(
        "mallory", email="mallory@acme.example", email_verified=True, groups=["ce-readers"]
    )

    answer = sign_in(client, identity_provider, "mallory")

    assert answer.status_code == 403
    assert "break-glass account, which logs in only with its password" in answer.text
    assert client.get("/tokens/").status_code == 302
    assert stored(break_glass) == before
    [refusal] = refusals()
    assert refusal.target == "user admin" and refusal.details["why"].startswith(
        "linked to a superuser"
    )


def test_refusals_and_failures_are_audited_without_a_credential(
    client, identity_provider, local_member, caplog
):
    caplog.set_level(logging.DEBUG)
    identity_provider.add_user("mallory", email="CAROL@acme.example", email_verified=True)
    sign_in(client, identity_provider, "mallory")
    refused_code = identity_provider.token_requests[-1]["code"]

    identity_provider.token_errors_quote_the_request = True
    failed = sign_in(client, identity_provider, "mallory")
    failed_code = identity_provider.token_requests[-1]["code"]
    verifier = identity_provider.token_requests[-1]["code_verifier"]

    assert failed.status_code == 401 and "Sign-in failed" in failed.text
    failure = AuditEvent.objects.get(action=AuditAction.SIGN_IN_FAILED)
    assert failure.target == f"provider {PROVIDER_LABEL}"
    assert failure.details == {
        "provider": PROVIDER_LABEL,
        "error": "unknown",
        "exception": "OAuth2Error: Error retrieving access token",
    }
    assert [e.details["subject"] for e in refusals()] == ["mallory"]
    written = json.dumps([e.details for e in AuditEvent.objects.all()]) + caplog.text
    for credential in (refused_code, failed_code, verifier, "provider-secret", "eyJ"):
        assert credential not in written


def test_a_cancelled_sign_in_is_audited_as_failed(client, identity_provider):
    sign_in(client, identity_provider, "", deny=True)

    failure = AuditEvent.objects.get(action=AuditAction.SIGN_IN_FAILED)
    assert failure.details == {"provider": PROVIDER_LABEL, "error": "cancelled"}


def test_a_person_links_their_sign_in_from_their_profile_and_unlinks_it(
    client, identity_provider, local_member
):
    identity_provider.add_user(
        "carol-sub", email="carol@acme.example", email_verified=True, groups=["ce-developers"]
    )
    client.force_login(local_member)

    linked = link_from_profile(client, identity_provider, "carol-sub")

    assert linked.status_code == 302 and linked["Location"] == "/profile/"
    profile = client.get("/profile/")
    assert f"{PROVIDER_LABEL} sign-in linked" in profile.text
    assert "carol-sub" in profile.text and f"Link your {PROVIDER_LABEL} sign-in" not in profile.text
    link = AuditEvent.objects.get(action=AuditAction.IDENTITY_LINKED)
    assert link.target == "user carol" and link.actor == local_member
    assert link.details == {"provider": PROVIDER_LABEL, "subject": "carol-sub"}

    # From now on the provider signs Carol in to her own account.
    client.post("/accounts/logout/")
    assert sign_in(client, identity_provider, "carol-sub").status_code == 302
    assert client.get("/").context["user"] == local_member
    assert get_user_model().objects.count() == 1 and not refusals()

    account = local_member.socialaccount_set.get()
    client.post(f"/profile/sign-ins/{account.pk}/unlink/")
    assert not SocialAccount.objects.exists()
    unlink = AuditEvent.objects.get(action=AuditAction.IDENTITY_UNLINKED)
    assert unlink.target == "user carol" and unlink.actor == local_member


def test_nobody_unlinks_the_only_way_they_sign_in_or_someone_elses(
    client, identity_provider, local_member
):
    identity_provider.add_user("dan", preferred_username="dan", groups=["ce-readers"])
    sign_in(client, identity_provider, "dan")
    dan = get_user_model().objects.get(username="dan")
    carols = SocialAccount.objects.create(user=local_member, provider=PROVIDER_ID, uid="carol")

    assert client.post(f"/profile/sign-ins/{carols.pk}/unlink/").status_code == 404
    refused = client.post(
        f"/profile/sign-ins/{dan.socialaccount_set.get().pk}/unlink/", follow=True
    )

    assert "would lock you out" in refused.text
    assert SocialAccount.objects.count() == 2
    assert not AuditEvent.objects.filter(action=AuditAction.IDENTITY_UNLINKED).exists()


def test_the_break_glass_superuser_cannot_link_a_provider(client, identity_provider, break_glass):
    identity_provider.add_user("mallory", email="mallory@acme.example", email_verified=True)
    client.force_login(break_glass)

    profile = client.get("/profile/")
    assert "never linked to an identity provider" in profile.text
    assert f"Link your {PROVIDER_LABEL} sign-in" not in profile.text
    start = client.post(
        f"/accounts/oidc/{PROVIDER_ID}/login/", {"process": "connect", "next": "/profile/"}
    )
    consent = httpx.post(start["Location"], data={"sub": "mallory"})
    back = urlsplit(consent.headers["location"])
    answer = client.get(back.path, parse_qs(back.query), follow=True)

    assert "never linked to an identity provider" in answer.text
    assert not SocialAccount.objects.exists()
    [refusal] = refusals()
    assert refusal.actor == break_glass
    assert refusal.details["why"] == "a superuser is never linked to a provider"
