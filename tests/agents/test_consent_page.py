"""The consent page: who may approve, what a denial, a weak PKCE method or a foreign
resource come back as, and what an approval stores."""

import re

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from oauth2_provider.models import Grant

from codeengine_ui.access.models import AuditAction, AuditEvent
from codeengine_ui.agents.models import ClientConnection, ToolLimit
from codeengine_ui.agents.oauth_tokens import access_for
from codeengine_ui.catalog.models import Instance
from tests.agents.conftest import (
    Assistant,
    connect,
    consent,
    pkce_pair,
    redirect_query,
    register,
)
from tests.conftest import make_token, save_demo_function
from tests.html_forms import submitted_fields


def test_a_viewer_is_told_why_they_cannot_connect(client, viewer, assistant):
    client.force_login(viewer)

    page = client.get(assistant.authorize_path()).content.decode()

    assert "Your role does not run functions" in page
    assert 'name="allow"' not in page


def test_a_viewer_cannot_approve_even_by_posting(client, viewer, assistant):
    client.force_login(viewer)
    path = assistant.authorize_path()
    fields = submitted_fields(client.get(path).content.decode())
    fields["allow"] = "on"

    answer = client.post(path, fields)

    assert answer.status_code == 200
    assert "Your role does not run functions" in answer.content.decode()
    assert not Grant.objects.exists() and not ClientConnection.objects.exists()


def test_a_viewer_denying_sends_the_assistant_back(client, viewer, assistant):
    client.force_login(viewer)

    answer = redirect_query(consent(client, assistant, allow=False))

    assert answer["error"] == "access_denied"


def test_someone_without_a_role_is_refused(client, django_user_model, assistant):
    client.force_login(django_user_model.objects.create_user("newcomer"))

    assert client.get(assistant.authorize_path()).status_code == 403


def test_denying_sends_access_denied_with_the_state(member_client, assistant):
    answer = redirect_query(consent(member_client, assistant, allow=False))

    assert answer["error"] == "access_denied"
    assert answer["state"] == assistant.state
    assert "code" not in answer
    assert not ClientConnection.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.AI_CLIENT_CONNECTED).exists()


def assert_error_page(response, *says: str) -> str:
    """The console's own error page, and no redirect to the client."""
    page = response.content.decode()
    assert response.status_code == 400, page[:500]
    assert "Location" not in response
    assert "This assistant cannot connect" in page
    for words in says:
        assert words in page
    return page


@pytest.mark.parametrize("method", ["plain", None])
def test_pkce_other_than_s256_is_refused_on_the_page(member_client, assistant, method):
    path = assistant.authorize_path(code_challenge=assistant.verifier, code_challenge_method=method)

    assert_error_page(member_client.get(path), "code_challenge_method=S256")


def test_pkce_is_required(member_client, assistant):
    path = assistant.authorize_path(code_challenge=None, code_challenge_method=None)

    assert_error_page(member_client.get(path), "incomplete or malformed", "invalid_request")


def test_a_plain_challenge_slipped_into_the_form_is_refused(member_client, assistant):
    path = assistant.authorize_path()
    fields = submitted_fields(member_client.get(path).content.decode())
    fields.update({"allow": "on", "code_challenge_method": "plain"})

    assert_error_page(member_client.post(path, fields), "code_challenge_method=S256")
    assert not Grant.objects.exists()


@pytest.mark.parametrize(
    "resource", ["https://other.example/mcp/", "http://testserver/api/v1/", "http://testserver/"]
)
def test_a_resource_other_than_the_mcp_endpoint_is_refused(member_client, assistant, resource):
    answer = member_client.get(assistant.authorize_path(resource=resource))

    assert_error_page(answer, "MCP endpoint only", "invalid_target")


@pytest.mark.parametrize("resource", ["http://testserver/mcp", "HTTP://TESTSERVER/mcp/", None])
def test_the_mcp_endpoint_may_be_named_without_its_slash_or_not_at_all(
    member_client, member, assistant, resource
):
    code = redirect_query(consent(member_client, assistant, resource=resource))["code"]

    answer = member_client.post("/oauth/token/", assistant.token_request(code, resource=resource))

    assert answer.status_code == 200, answer.content
    assert access_for(answer.json()["access_token"]).user == member


def test_the_token_endpoint_refuses_a_foreign_resource(member_client, assistant):
    code = redirect_query(consent(member_client, assistant))["code"]

    answer = member_client.post(
        "/oauth/token/", assistant.token_request(code, resource="https://other.example/")
    )

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_target"


def test_an_unknown_client_gets_an_error_page_not_a_redirect(member_client, assistant):
    assistant.client_id = "no-such-client"

    page = member_client.get(assistant.authorize_path())

    assert page.status_code == 400
    assert "This assistant cannot connect" in page.content.decode()


def test_an_unregistered_redirect_uri_gets_an_error_page(member_client, assistant):
    page = member_client.get(assistant.authorize_path(redirect_uri="http://127.0.0.1:1/evil"))

    assert page.status_code == 400
    assert "This assistant cannot connect" in page.content.decode()


def test_a_redirect_uri_changed_in_the_form_is_refused(member_client, assistant):
    path = assistant.authorize_path()
    fields = submitted_fields(member_client.get(path).content.decode())
    fields.update({"redirect_uri": "https://evil.example/", "allow": "on"})

    answer = member_client.post(path, fields)

    assert answer.status_code == 200
    assert "does not come from a registered client" in answer.content.decode()
    assert not Grant.objects.exists()


def test_the_page_is_shown_every_time_even_when_the_assistant_asks_to_skip_it(
    member_client, assistant
):
    connect(member_client, assistant)

    again = member_client.get(assistant.authorize_path(approval_prompt="auto"))

    assert again.status_code == 200
    assert "Connect “Claude” to the console?" in again.content.decode()


def test_choosing_to_limit_with_no_function_chosen_asks_again(member_client, assistant, greet):
    path = assistant.authorize_path()
    fields = submitted_fields(member_client.get(path).content.decode())
    fields.update({"allow": "on", "tools": "chosen"})

    page = member_client.post(path, fields)

    assert page.status_code == 200
    assert "Choose at least one function" in page.content.decode()
    assert "http://127.0.0.1:33418" in page["Content-Security-Policy"]
    assert not Grant.objects.exists()


def test_only_functions_the_person_may_run_can_be_chosen(member_client, assistant, greet, emulator):
    elsewhere = Instance.objects.create(
        name="elsewhere", display_name="Elsewhere", custom_base_url=emulator.url
    )
    private = make_token(elsewhere, "Private", "private-token-000000000000000", shared=False)
    not_granted = save_demo_function(elsewhere, private, "greet")

    answer = consent(member_client, assistant, functions=[not_granted])

    assert answer.status_code == 200
    assert "Select a valid choice" in answer.content.decode()
    assert not ToolLimit.objects.exists()


def test_approving_all_again_removes_an_earlier_limit(member_client, member, assistant, greet):
    connect(member_client, assistant, functions=[greet])
    assert ToolLimit.objects.filter(user=member).exists()

    connect(member_client, assistant)

    assert not ToolLimit.objects.filter(user=member).exists()
    assert ClientConnection.objects.filter(user=member).count() == 1
    last = AuditEvent.objects.filter(action=AuditAction.AI_CLIENT_CONNECTED).latest("pk")
    assert last.details["tools"] == "all the functions the person may run"


def test_the_page_says_the_name_is_self_declared_and_where_it_returns(member_client, assistant):
    page = member_client.get(assistant.authorize_path()).content.decode()

    assert "the name the assistant gave itself" in page
    assert "It returns to <strong>127.0.0.1:33418</strong>" in page


def test_a_member_with_no_runnable_function_is_told(client, django_user_model, assistant):
    person = django_user_model.objects.create_user("newmember")
    person.groups.add(Group.objects.get_or_create(name="member")[0])
    client.force_login(person)

    page = client.get(assistant.authorize_path()).content.decode()

    assert "You may run no function yet" in page


def test_the_page_keeps_the_strict_policy_but_lets_its_answer_reach_the_assistant(
    member_client, assistant
):
    page = member_client.get(assistant.authorize_path())

    policy = page["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'" and "unsafe-inline" not in policy
    assert directives["form-action"] == "'self' http://127.0.0.1:33418"
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.content.decode())


def test_a_private_use_scheme_is_allowed_as_a_scheme(client, member_client):
    answer = register(client, redirect_uris=["cursor://anysphere.cursor-mcp/oauth/callback"])
    assistant = Assistant(answer.json()["client_id"], *pkce_pair())

    page = member_client.get(
        assistant.authorize_path(redirect_uri="cursor://anysphere.cursor-mcp/oauth/callback")
    )
    fields = submitted_fields(page.content.decode())
    fields["allow"] = "on"
    answer = member_client.post(
        assistant.authorize_path(redirect_uri="cursor://anysphere.cursor-mcp/oauth/callback"),
        fields,
    )

    assert "It returns to <strong>cursor://anysphere.cursor-mcp</strong>" in page.content.decode()
    assert page["Content-Security-Policy"].endswith("form-action 'self' cursor:")
    assert answer.status_code == 302
    assert answer["Location"].startswith("cursor://anysphere.cursor-mcp/oauth/callback?code=")


def test_approving_needs_the_csrf_token(member, assistant):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(member)
    path = assistant.authorize_path()
    fields = submitted_fields(strict.get(path).content.decode())
    fields["allow"] = "on"
    del fields["csrfmiddlewaretoken"]

    assert strict.post(path, fields).status_code == 403
    assert not Grant.objects.exists()
