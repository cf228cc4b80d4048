"""Signing in with the company's identity provider: a real OpenID Connect provider on
loopback, the console's own views, and the database. Roles follow the provider's groups
claim at each login; logging out ends the provider's session too."""

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.contrib.auth import get_user_model

from codeengine_ui.access.models import AuditAction, AuditEvent
from codeengine_ui.access.roles import Role, role_of
from codeengine_ui.access.sign_in import role_from_claims
from tests.identity_provider import CLIENT_ID, PROVIDER_ID, PROVIDER_LABEL, link_by_email

pytestmark = pytest.mark.django_db


def sign_in(client, provider, sub: str, *, deny: bool = False):
    """The browser's round trip: the console's login button, the provider's consent page,
    and back to the console's callback. Returns the console's answer to the callback."""
    start = client.post(f"/accounts/oidc/{PROVIDER_ID}/login/", {"next": "/"})
    assert start.status_code == 302, start.content
    authorize_url = start["Location"]
    assert authorize_url.startswith(provider.url + "/oauth2/authorize")
    consent = httpx.post(authorize_url, data={"action": "deny"} if deny else {"sub": sub})
    assert consent.status_code == 302, consent.text
    back = urlsplit(consent.headers["location"])
    assert back.path == f"/accounts/oidc/{PROVIDER_ID}/login/callback/"
    return client.get(back.path, parse_qs(back.query), follow=False)


def user_named(username: str):
    user = get_user_model().objects.get(username=username)
    user._console_role = None
    return user


def test_a_first_sign_in_creates_the_person_with_the_role_their_groups_give(
    client, identity_provider
):
    identity_provider.add_user(
        "ada",
        preferred_username="ada",
        email="ada@acme.example",
        email_verified=True,
        name="Ada Lovelace",
        groups=["everyone", "ce-developers"],
    )

    answer = sign_in(client, identity_provider, "ada")

    assert answer.status_code == 302 and answer["Location"] == "/"
    ada = user_named("ada")
    assert role_of(ada) == Role.MEMBER
    assert ada.email == "ada@acme.example"
    home = client.get("/")
    assert home.status_code == 200 and "Welcome, ada" not in home.text
    # PKCE: the code's verifier matches the S256 challenge sent with the authorization.
    assert identity_provider.authorize_requests[-1]["code_challenge_method"] == "S256"
    assert identity_provider.pkce_verified()
    event = AuditEvent.objects.get(action=AuditAction.ROLE_CHANGED, target="user ada")
    assert event.details == {"added": ["member"]}
    assert event.actor is None and event.actor_name == f"{PROVIDER_LABEL} (groups claim)"
    created = AuditEvent.objects.get(action=AuditAction.USER_CREATED, target="user ada")
    assert created.actor_name == f"{PROVIDER_LABEL} (sign-in)"


def test_the_role_follows_the_claim_at_each_login_and_no_role_means_ask_an_admin(
    client, identity_provider
):
    identity_provider.add_user("bob", preferred_username="bob", groups=["ce-admins"])
    sign_in(client, identity_provider, "bob")
    assert role_of(user_named("bob")) == Role.ADMIN
    client.post("/accounts/logout/")

    identity_provider.add_user("bob", preferred_username="bob", groups=["ce-readers"])
    sign_in(client, identity_provider, "bob")
    bob = user_named("bob")
    assert role_of(bob) == Role.VIEWER and not bob.is_staff
    client.post("/accounts/logout/")

    identity_provider.add_user("bob", preferred_username="bob", groups=["sales"])
    sign_in(client, identity_provider, "bob")
    assert role_of(user_named("bob")) == Role.NONE
    home = client.get("/")
    assert "has no role in the console yet" in home.text

    changes = AuditEvent.objects.filter(action=AuditAction.ROLE_CHANGED).order_by("pk")
    assert [event.details for event in changes] == [
        {"added": ["admin"]},
        {"removed": ["admin"]},
        {"added": ["viewer"]},
        {"removed": ["viewer"]},
    ]
    # The same claim again changes nothing, and records nothing.
    client.post("/accounts/logout/")
    sign_in(client, identity_provider, "bob")
    assert AuditEvent.objects.filter(action=AuditAction.ROLE_CHANGED).count() == 4


def test_where_the_provider_links_by_email_an_admin_added_person_is_found_by_it(
    client, settings, identity_provider, django_user_model
):
    link_by_email(settings)
    carol = django_user_model.objects.create_user("carol", email="carol@acme.example")
    identity_provider.add_user(
        "c-4711", preferred_username="c.smith", email="carol@acme.example",
        email_verified=True, groups=["ce-developers"],
    )  # fmt: skip

    sign_in(client, identity_provider, "c-4711")

    assert django_user_model.objects.filter(email="carol@acme.example").count() == 1
    assert role_of(user_named(carol.username)) == Role.MEMBER
    assert carol.socialaccount_set.get().uid == "c-4711"


def test_a_refused_sign_in_says_so_and_logs_nobody_in(client, identity_provider):
    answer = sign_in(client, identity_provider, "", deny=True)

    page = client.get(answer["Location"])
    assert "Sign-in cancelled" in page.text
    assert client.get("/").status_code == 302  # still anonymous: sent to the login page
    assert not get_user_model().objects.exists()


def test_an_unknown_provider_is_not_found(client, identity_provider):
    assert client.post("/accounts/oidc/evil/login/").status_code == 404
    assert client.get("/accounts/oidc/evil/login/callback/?code=x&state=y").status_code == 404


def test_a_callback_without_a_started_login_is_refused(client, identity_provider):
    answer = client.get(f"/accounts/oidc/{PROVIDER_ID}/login/callback/?code=x&state=forged")

    assert answer.status_code in (400, 401)
    assert client.get("/").status_code == 302


def test_failed_sign_ins_from_one_address_are_one_audit_row_with_a_count(client, identity_provider):
    for attempt in range(5):
        client.get(f"/accounts/oidc/{PROVIDER_ID}/login/callback/?code=x&state=forged{attempt}")
    sign_in(client, identity_provider, "", deny=True)

    failures = AuditEvent.objects.filter(action=AuditAction.SIGN_IN_FAILED).order_by("pk")
    assert [(event.details["error"], event.repeated) for event in failures] == [
        ("unknown", 5),
        ("cancelled", 1),
    ]


def test_logging_out_ends_the_providers_session_too(client, identity_provider):
    identity_provider.add_user("dan", preferred_username="dan", groups=["ce-readers"])
    sign_in(client, identity_provider, "dan")
    id_token = client.session["signed_in_id_token"]
    assert id_token

    answer = client.post("/accounts/logout/")

    assert answer.status_code == 302
    end_session = urlsplit(answer["Location"])
    assert f"{end_session.scheme}://{end_session.netloc}" == identity_provider.url
    assert end_session.path == "/oauth2/end_session"
    params = {k: v[0] for k, v in parse_qs(end_session.query).items()}
    assert params == {
        "client_id": CLIENT_ID,
        "id_token_hint": id_token,
        "post_logout_redirect_uri": "http://testserver/accounts/login/",
    }
    assert client.get("/").status_code == 302  # the console's session is over
    # The provider's end-session page takes the browser back to the console's login page.
    confirmed = httpx.post(
        f"{identity_provider.url}/oauth2/end_session/confirm",
        data={"redirect_uri": params["post_logout_redirect_uri"]},
    )
    assert confirmed.headers["location"] == "http://testserver/accounts/login/"


def test_a_password_logout_stays_in_the_console(client, member):
    client.force_login(member)
    answer = client.post("/accounts/logout/")
    assert answer.status_code == 302 and answer["Location"] == "/accounts/login/"


def test_the_login_page_offers_each_provider(client, identity_provider):
    page = client.get("/accounts/login/")
    assert f"Sign in with {PROVIDER_LABEL}" in page.text
    assert 'name="password"' in page.text  # local passwords are on by default


def test_with_local_passwords_off_only_the_break_glass_superuser_logs_in_with_one(
    client, settings, identity_provider, django_user_model
):
    settings.LOCAL_PASSWORDS = False
    django_user_model.objects.create_user("eve", password="eve-password-123")
    django_user_model.objects.create_superuser("breakglass", password="glass-password-123")

    page = client.get("/accounts/login/")
    assert f"Sign in with {PROVIDER_LABEL}" in page.text
    assert 'name="password"' not in page.text and "break-glass login" in page.text
    assert 'name="password"' in client.get("/accounts/login/?password=1").text

    refused = client.post("/accounts/login/", {"username": "eve", "password": "eve-password-123"})
    assert refused.status_code == 200 and "kept for the break-glass admin" in refused.text
    assert client.get("/").status_code == 302

    allowed = client.post(
        "/accounts/login/", {"username": "breakglass", "password": "glass-password-123"}
    )
    assert allowed.status_code == 302
    assert client.get("/").status_code == 200


@pytest.mark.parametrize(
    ("claims", "role"),
    [
        ({"groups": ["ce-readers", "ce-admins"]}, Role.ADMIN),
        ({"groups": "ce-developers"}, Role.MEMBER),
        ({"groups": ["sales", 7, None]}, Role.NONE),
        ({}, Role.NONE),
        # Azure AD's overage: the groups are elsewhere; the role is kept as it was.
        ({"_claim_names": {"groups": "src1"}, "_claim_sources": {"src1": {}}}, None),
    ],
)
def test_roles_from_claims(settings, claims, role):
    settings.OIDC_ROLE_MAP = {"ce-admins": "admin", "ce-developers": "member",
                              "ce-readers": "viewer"}  # fmt: skip
    assert role_from_claims(claims) == role


def test_without_a_role_map_the_provider_does_not_touch_roles(settings):
    settings.OIDC_ROLE_MAP = {}
    assert role_from_claims({"groups": ["ce-admins"]}) is None


def test_the_team_page_says_roles_follow_the_provider(client, identity_provider, admin_user):
    client.force_login(admin_user)
    page = client.get("/team/")
    assert f"sign in with {PROVIDER_LABEL} follow its" in page.text


def test_an_admin_adds_someone_who_will_sign_in_with_the_provider(
    client, settings, identity_provider, admin_user, django_user_model
):
    settings.LOCAL_PASSWORDS = False
    link_by_email(settings)
    client.force_login(admin_user)
    form = client.get("/team/add/").text
    assert f"they sign in with {PROVIDER_LABEL}" in form and "A link where they choose" not in form

    refused = client.post("/team/add/", {"username": "fay", "role": "2", "password_by": "provider"})
    assert "finds them by this email" in refused.text

    added = client.post("/team/add/", {"username": "fay", "email": "fay@acme.example",
                                       "role": "2", "password_by": "provider"})  # fmt: skip
    assert f"fay signs in with {PROVIDER_LABEL}" in added.text
    fay = django_user_model.objects.get(username="fay")
    assert not fay.has_usable_password() and role_of(fay) == Role.MEMBER
    assert "New password link for fay" not in client.get("/team/").text

    identity_provider.add_user("fay-sub", email="fay@acme.example", email_verified=True,
                               groups=["ce-developers"])  # fmt: skip
    client.logout()
    sign_in(client, identity_provider, "fay-sub")
    assert django_user_model.objects.filter(email="fay@acme.example").count() == 1
    assert client.get("/").status_code == 200


def test_where_no_provider_links_by_email_admins_do_not_add_people_who_sign_in_with_one(
    client, settings, identity_provider, admin_user, django_user_model
):
    settings.LOCAL_PASSWORDS = False
    client.force_login(admin_user)

    form = client.get("/team/add/").text
    assert "makes their account at their first sign-in" in form and 'name="username"' not in form

    client.post("/team/add/", {"username": "gil", "email": "gil@acme.example", "role": "2"})
    assert not django_user_model.objects.filter(username="gil").exists()


def test_an_admin_cannot_add_an_email_another_account_has_in_any_case(
    client, admin_user, django_user_model
):
    django_user_model.objects.create_user("hal", email="hal@acme.example")
    client.force_login(admin_user)

    refused = client.post("/team/add/", {"username": "hal2", "email": "HAL@Acme.example",
                                         "role": "2", "password_by": "link"})  # fmt: skip

    assert "Another account has this email" in refused.text
    assert not django_user_model.objects.filter(username="hal2").exists()


def test_a_provider_that_does_not_answer_gets_a_clear_page(client, settings, identity_provider):
    apps = settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"]
    apps[0]["settings"]["server_url"] = "http://127.0.0.1:9"  # nothing listens there

    answer = client.post(f"/accounts/oidc/{PROVIDER_ID}/login/", {"next": "/"})

    assert answer.status_code == 502
    assert f"{PROVIDER_LABEL} did not answer" in answer.text
