"""Every call to Domo made for a person uses a token that person may use now: a member can
neither name another member's token on a page and have the console call Domo with it, nor
see it offered in a token field. The emulator counts the calls each token's Domo user
made, so a test sees whether the ungranted token reached the instance at all.

Given: the Analyst token, granted to all members, and the Developer token, granted to
nobody (admins only), whose Domo user is 1001."""

import ast
import json
from pathlib import Path

import pytest

from codeengine_ui.catalog.models import Function
from codeengine_ui.demo.package import DEMO_PACKAGE_ID, demo_app_manifest
from tests.conftest import ANALYST_TOKEN, DEVELOPER_TOKEN, make_token, save_demo_function
from tests.html_forms import submitted_fields

pytestmark = pytest.mark.django_db

DEVELOPERS_DOMO_USER = 1001


@pytest.fixture
def analyst(instance, admin_user):
    return make_token(instance, "Analyst", ANALYST_TOKEN, admin_user, shared=True)


@pytest.fixture
def developer(instance, admin_user):
    return make_token(instance, "Developer", DEVELOPER_TOKEN, admin_user, shared=False)


@pytest.fixture
def greet(instance, analyst, developer):
    return save_demo_function(instance, analyst, "greet", version="1.0.0")


@pytest.fixture
def developer_calls(emulator):
    """How many calls the Developer token made from here on."""
    upstream = emulator.server.emulator
    before = upstream.calls_by(DEVELOPERS_DOMO_USER)
    return lambda: upstream.calls_by(DEVELOPERS_DOMO_USER) - before


def test_the_edit_page_refuses_an_ungranted_default_token_at_the_field_and_calls_nothing(
    member_client, greet, developer, developer_calls
):
    response = member_client.post(
        f"/functions/{greet.pk}/edit/",
        {"display_name": "", "version": "1.2.0", "default_token": developer.pk},
    )

    assert response.status_code == 200
    assert "This token is not granted to you (or is disabled or expired)." in (
        response.content.decode()
    )
    assert developer_calls() == 0
    greet.refresh_from_db()
    assert (greet.version, greet.default_token.label) == ("1.0.0", "Analyst")


def test_token_fields_list_only_the_tokens_the_person_may_use(member_client, greet):
    for page in (f"/functions/{greet.pk}/edit/", f"/functions/{greet.pk}/run/"):
        html = member_client.get(page).content.decode()
        assert "Analyst" in html and "Developer" not in html, page
    importing = member_client.post(
        "/functions/import/", {"text": json.dumps(demo_app_manifest())}
    ).content.decode()
    assert "Analyst" in importing and "Developer" not in importing


def test_a_default_token_granted_to_others_stays_when_a_member_renames_the_function(
    member_client, greet, developer, developer_calls
):
    """An admin chose the Developer token as the default: the member's field is locked."""
    Function.objects.filter(pk=greet.pk).update(default_token=developer)

    page = member_client.get(f"/functions/{greet.pk}/edit/").content.decode()
    response = member_client.post(
        f"/functions/{greet.pk}/edit/",
        {"display_name": "Say hello", "version": "1.2.0", "default_token": ""},
    )

    assert "Developer" not in page
    assert response.status_code == 302
    greet.refresh_from_db()
    assert (greet.display_name, greet.version, greet.default_token) == (
        "Say hello",
        "1.2.0",
        developer,
    )
    assert developer_calls() == 0, "the new version was read with the member's own token"


def test_the_import_refuses_an_ungranted_token_at_the_field_and_calls_nothing(
    member_client, instance, developer, analyst, developer_calls
):
    page = member_client.post("/functions/import/", {"text": json.dumps(demo_app_manifest())})
    data = submitted_fields(page.content.decode())
    for prefix in ("fn0", "fn1"):
        wiring = {"package_id": DEMO_PACKAGE_ID, "version": "1.1.0", "function_name": "greet",
                  "token": str(developer.pk)}  # fmt: skip
        data.update({f"{prefix}-{name}": value for name, value in wiring.items()})
    data["step"] = "map"

    html = member_client.post("/functions/import/", data).content.decode()

    assert "This token is not granted to you (or is disabled or expired)." in html
    assert developer_calls() == 0


def test_pickers_browsing_and_wiring_choices_never_use_an_ungranted_token(
    member_client, greet, instance, developer, developer_calls
):
    member_client.get(
        f"/functions/{greet.pk}/directory/person/", {"q": "ada", "token": developer.pk}
    )
    member_client.get(
        f"/functions/{greet.pk}/directory/group/", {"id": "1201", "token": developer.pk}
    )
    member_client.get(f"/instances/{instance.pk}/browse/", {"token": developer.pk})
    member_client.get(
        "/functions/import/choices/",
        {"prefix": "fn0", "fn0-instance": instance.pk, "fn0-token": developer.pk,
         "fn0-package_id": DEMO_PACKAGE_ID, "fn0-version": "1.1.0"},
    )  # fmt: skip
    saved = member_client.post(
        f"/instances/{instance.pk}/browse/{DEMO_PACKAGE_ID}/1.1.0/save/",
        {"token": developer.pk, "function_name": "greet"},
    )

    assert saved.status_code == 404
    assert developer_calls() == 0


def test_refresh_and_version_check_use_the_members_own_token_not_the_default(
    member_client, greet, developer, developer_calls
):
    Function.objects.filter(pk=greet.pk).update(default_token=developer)

    refreshed = member_client.get(f"/functions/{greet.pk}/refresh/")
    member_client.post(f"/functions/{greet.pk}/check-version/")

    assert refreshed.status_code == 200
    assert developer_calls() == 0


def test_an_admin_testing_a_disabled_token_is_told_so_and_nothing_is_called(
    admin_client, developer, developer_calls
):
    developer.is_active = False
    developer.save()

    response = admin_client.post(f"/tokens/{developer.pk}/test/", follow=True)

    assert (
        "Not tested: The access token &quot;Developer&quot; is disabled"
        in response.content.decode()
    )
    assert developer_calls() == 0
    developer.refresh_from_db()
    assert developer.last_check_at is None


PACKAGE = Path(__file__).resolve().parent.parent.parent / "codeengine_ui"
# Where a token's client may be made: `client_for` (every call made for a person or by
# the workers' own jobs goes through it), the run worker, which asks run_refusal itself
# for each queued run just before its call, and a load run's task, which asks it when the
# load run starts and again every few seconds while its virtual users call.
CLIENT_MADE_IN = {"catalog/tokens.py", "runs/tasks.py", "load_runs/tasks.py"}


def test_a_client_is_made_only_where_run_refusal_is_asked():
    made = set()
    for path in PACKAGE.rglob("*.py"):
        relative = str(path.relative_to(PACKAGE))
        if relative.startswith("demo/"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "client"
                and not (
                    isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "_http"
                )
            ):
                made.add(relative)
    assert made <= CLIENT_MADE_IN


def test_refreshing_a_definition_keeps_the_default_token(
    member_client, instance, admin_user, developer, analyst
):
    greet = save_demo_function(instance, developer, "greet", version="1.0.0")

    member_client.post(f"/functions/{greet.pk}/refresh/")

    greet.refresh_from_db()
    assert greet.default_token == developer, "read with the member's token, kept the default"


def test_the_api_says_the_same_of_an_ungranted_token_and_of_no_token_at_all(
    client, member, greet, developer
):
    from codeengine_ui.access.models import ApiKey

    _key, text = ApiKey.issue(member, "script", "run")

    def run_with(token_id: int):
        return client.post(
            "/api/v1/runs",
            {"function": greet.pk, "inputs": {"name": "Ada"}, "token": token_id},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {text}",
        )

    ungranted, missing = run_with(developer.pk), run_with(developer.pk + 1000)

    assert ungranted.status_code == missing.status_code == 403
    assert "Developer" not in ungranted.content.decode()
    assert ungranted.json()["detail"].replace(str(developer.pk), "N") == (
        missing.json()["detail"].replace(str(developer.pk + 1000), "N")
    )
