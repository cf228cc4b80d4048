"""Every URL of the project, as every kind of user: each view must declare the least role
it needs, and that role must be enforced. A new view without a declaration fails here."""

import re

import pytest
from django.contrib.auth.models import Group
from django.urls import URLPattern, URLResolver, get_resolver

from codeengine_ui.access.roles import Role
from codeengine_ui.catalog.models import InputPreset
from codeengine_ui.demo.package import DEMO_PACKAGE_ID
from codeengine_ui.runs.models import Execution, ExecutionStatus
from codeengine_ui.tables.services import draft_from_rows
from tests.conftest import stored_run, user_with_role
from tests.load_runs.conftest import sample_load_run

# Sample values for the URL parameters, by name (the URLs themselves come from the resolver).
SAMPLE_VALUES = {
    "package_id": lambda objects: DEMO_PACKAGE_ID,
    "version": lambda objects: "1.1.0",
    "stream": lambda objects: "stdout",
    "file_format": lambda objects: "csv",
    "function_id": lambda objects: objects["function"].pk,
    "execution_id": lambda objects: objects["execution"].pk,
    "instance_id": lambda objects: objects["instance"].pk,
    "token_id": lambda objects: objects["token"].pk,
    "preset_id": lambda objects: objects["preset"].pk,
    "user_id": lambda objects: objects["target_user"].pk,
    "uidb64": lambda objects: "MQ",
    "function": lambda objects: objects["function"].pk,
    "run_id": lambda objects: objects["execution"].pk,
    "batch_id": lambda objects: "00000000-0000-0000-0000-000000000000",
    "key_id": lambda objects: 1,
    "connection_id": lambda objects: 1,
    "account_id": lambda objects: 1,
    "kind": lambda objects: "person",
    "case_id": lambda objects: objects["case"].pk,
    "suite_id": lambda objects: objects["suite"].pk,
    "suite": lambda objects: objects["suite"].pk,
    "suite_run_id": lambda objects: objects["suite_run"].pk,
    "token": lambda objects: "set-password",
    "provider_id": lambda objects: "acme",
    "table_run_id": lambda objects: (
        draft_from_rows(objects["function"], objects["target_user"], [{"name": "Ada"}]).pk
    ),
    "load_run_id": lambda objects: (
        sample_load_run(objects["function"], objects["token"], objects["target_user"]).pk
    ),
}
# Sign-in pages that, with no sign-in under way, send the browser back to the login page.
BACK_TO_LOGIN_WHEN_IDLE = {"socialaccount_signup"}


def project_patterns(patterns=None, prefix=""):
    """(route, name, view) for every URL of the project, Django's admin aside."""
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue
            yield from project_patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.name, pattern.callback


def concrete_url(route: str, objects: dict) -> str:
    def value(match):
        name = match.group(2)
        assert name in SAMPLE_VALUES, f"add a sample value for URL parameter <{name}>"
        return str(SAMPLE_VALUES[name](objects))

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, route)


def _is_public(view) -> bool:
    return getattr(view, "login_required", True) is False and not _is_api(view)


def _is_api(view) -> bool:
    """The API's operations: a key, not a session, says who calls (tests/api covers them)."""
    return getattr(view, "api_key_required", False)


ALL_PATTERNS = list(project_patterns())


def test_every_view_declares_who_may_use_it():
    undeclared = [
        name
        for _route, name, view in ALL_PATTERNS
        if not _is_public(view)
        and not _is_api(view)
        and not hasattr(view, "required_role")
        and name != "logout"
    ]
    assert undeclared == [], "views without role_required (or login_not_required)"


def test_token_team_and_audit_pages_are_for_admins_only():
    from django.urls import reverse

    for route, name, view in ALL_PATTERNS:
        if route.startswith(("tokens/", "team/", "audit/")):
            assert view.required_role == Role.ADMIN, name
    assert reverse("catalog:token_list") == "/tokens/"


def test_only_sign_in_health_metrics_oauth_and_the_password_link_are_public():
    public = sorted(name for _route, name, view in ALL_PATTERNS if _is_public(view))
    assert public == [
        "account_login",  # the login page under allauth's name
        "health",
        "health",  # the API's
        "login",
        # MCP: the endpoint signs each request in itself (a key or an OAuth token), never
        # with the session cookie
        "mcp",
        "mcp_unslashed",
        "metrics",  # a scraper's, with its token or from an allowed address
        # OAuth for AI assistants: what they discover, register and exchange before anyone
        # signs in (the consent page itself needs a signed-in person)
        "oauth_authorization_server",
        "oauth_protected_resource",
        "oauth_protected_resource_of_mcp",
        "oauth_protected_resource_of_mcp_unslashed",
        "oauth_register",
        "oauth_revoke",
        "oauth_token",
        "openid_connect_callback",
        "openid_connect_login",
        "password_reset_complete",
        "password_reset_confirm",
        "socialaccount_login_cancelled",
        "socialaccount_login_error",
        "socialaccount_signup",
    ]


@pytest.fixture
def objects(db, greet, developer_token, instance, member, django_user_model):
    execution = stored_run(
        greet,
        developer_token,
        member,
        {"name": "Ada"},
        status=ExecutionStatus.SUCCESS,
        result="Hello",
    )
    return {
        "function": greet,
        "execution": execution,
        "instance": instance,
        "token": developer_token,
        "target_user": member,
        "preset": InputPreset.objects.create(function=greet, name="p", input_variables={}),
        **suite_objects(execution, member),
    }


def suite_objects(execution, user) -> dict:
    """A test case, a suite of it and a (finished) run of the suite, for URLs that name them."""
    from codeengine_ui.suites.models import Suite, SuiteRun
    from codeengine_ui.suites.services import case_from_run

    case, _ = case_from_run(execution, user)
    suite = Suite.objects.create(name="Sample suite")
    suite.cases.add(case)
    suite_run = SuiteRun.objects.create(suite=suite, started_by=user)
    return {"case": case, "suite": suite, "suite_run": suite_run}


@pytest.fixture
def users(django_user_model, member, viewer):
    admin = user_with_role(django_user_model, "team-admin", "admin")
    return {
        Role.NONE: user_with_role(django_user_model, "newcomer", ""),
        Role.VIEWER: viewer,
        Role.MEMBER: member,
        Role.ADMIN: admin,
    }


def _as(client, user):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("route", "name", "view"), ALL_PATTERNS, ids=[name for _, name, _ in ALL_PATTERNS]
)
def test_each_url_answers_each_role_as_declared(client, objects, users, route, name, view):
    url = concrete_url(route, objects)
    if _is_api(view):
        assert _as(client, None).get(url).status_code in (401, 405), "keys only"
        return
    anonymous = _as(client, None).get(url)
    if _is_public(view):
        if name not in BACK_TO_LOGIN_WHEN_IDLE:
            assert anonymous.status_code != 302 or "/accounts/login/" not in anonymous["Location"]
        return
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    required = getattr(view, "required_role", Role.NONE)
    for role, user in users.items():
        status = _as(client, user).get(url).status_code
        if role >= required:
            assert status != 403, f"{name} refused a {role.label} ({url})"
        else:
            assert status == 403, f"{name} let a {role.label} in ({url}): {status}"


def test_viewers_cannot_run_or_save_presets_even_by_posting(client, objects, viewer):
    _as(client, viewer)
    url = f"/functions/{objects['function'].pk}/run/"
    presets_url = f"/functions/{objects['function'].pk}/presets/"
    editor_url = f"/functions/{objects['function'].pk}/editor/"
    form = {"in.0": "Ada", "token": objects["token"].pk, "submission_id": "x"}

    assert client.post(url, form).status_code == 403
    assert client.post(presets_url, {**form, "preset_name": "n"}).status_code == 403
    assert client.post(editor_url, {**form, "editor_action": "mode:json"}).status_code == 200
    assert Execution.objects.count() == 1


def test_a_member_only_gets_tokens_granted_to_them(client, objects, member, instance):
    from tests.conftest import make_token

    private = make_token(instance, "Private", "private-token-000000000000000", shared=False)
    granted = make_token(instance, "Granted", "granted-token-000000000000000", shared=False)
    granted.granted_users.add(member)
    by_group = make_token(instance, "Team", "team-token-000000000000000000", shared=False)
    group = Group.objects.create(name="finance")
    member.groups.add(group)
    by_group.granted_groups.add(group)
    _as(client, member)

    page = client.get(f"/functions/{objects['function'].pk}/run/").content.decode()
    forged = client.post(
        f"/functions/{objects['function'].pk}/run/",
        {"in.0": "Ada", "token": private.pk, "submission_id": "x"},
    )

    assert "Granted (" in page and "Team (" in page and "Private (" not in page
    assert forged.status_code == 403


def test_the_admin_site_is_for_staff_only(client, users):
    assert _as(client, users[Role.MEMBER]).get("/admin/").status_code == 302
    superuser = users[Role.ADMIN]
    superuser.is_staff, superuser.is_superuser = True, True
    superuser.save()
    assert _as(client, superuser).get("/admin/").status_code == 200
