"""The pages about AI agents: a function as an agent sees it, and a key's functions."""

import pytest

from codeengine_ui.access.models import ApiKey, AuditAction, AuditEvent
from codeengine_ui.agents.models import ToolLimit
from codeengine_ui.agents.tools import tool_name

pytestmark = pytest.mark.django_db


def test_the_function_page_loads_its_ai_tool_panel(member_client, greet):
    page = member_client.get(f"/functions/{greet.pk}/run/").content.decode()
    assert f'hx-get="/functions/{greet.pk}/as-tool/"' in page

    panel = member_client.get(f"/functions/{greet.pk}/as-tool/", HTTP_HX_REQUEST="true")
    html = panel.content.decode()

    assert panel.status_code == 200 and "<html" not in html
    assert tool_name(greet) in html
    assert "&quot;inputSchema&quot;" in html
    for client in ("Claude Desktop", "Claude Code", "Cursor", "VS Code"):
        assert client in html
    assert "http://testserver/mcp/" in html
    assert "ce_" not in html, "no key is ever written into a configuration"


def test_the_panel_warns_where_a_model_would_struggle(member_client, greet):
    greet.description = ""
    greet.parameters = [{**greet.parameters[0], "description": ""}, *greet.parameters[1:]]
    greet.save()

    html = member_client.get(f"/functions/{greet.pk}/as-tool/").content.decode()

    assert "Where a model would struggle" in html
    assert "no description" in html


def test_a_key_can_be_limited_to_chosen_functions_and_freed_again(member_client, member, greet):
    key, _text = ApiKey.issue(member, "Claude", "tools")
    page = member_client.get("/profile/").content.decode()
    assert f"/ai-tools/keys/{key.pk}/" in page and "All functions" in page

    member_client.post(f"/ai-tools/keys/{key.pk}/", {"tools": "chosen", "functions": [greet.pk]})
    limit = ToolLimit.objects.get(api_key=key)
    assert list(limit.functions.all()) == [greet]
    event = AuditEvent.objects.filter(action=AuditAction.AI_TOOLS_LIMITED).latest("pk")
    assert event.details == {"api_key": "Claude", "tools": [greet.label]}

    refused = member_client.post(f"/ai-tools/keys/{key.pk}/", {"tools": "chosen"})
    assert "Choose at least one function" in refused.content.decode()
    member_client.post(f"/ai-tools/keys/{key.pk}/", {"tools": "all"})
    assert not ToolLimit.objects.filter(api_key=key).exists()


def test_another_persons_key_is_not_found(member_client, django_user_model):
    someone = django_user_model.objects.create_user("someone")
    key, _text = ApiKey.issue(someone, "theirs", "tools")

    assert member_client.get(f"/ai-tools/keys/{key.pk}/").status_code == 404


def test_a_new_ai_tools_key_says_where_it_serves(member_client):
    page = member_client.post("/profile/", {"name": "Claude", "scope": "tools"}).content.decode()

    assert "for <code>http://testserver/mcp/</code>" in page
    assert "ce login" not in page, "the API's help is not given for a key it refuses"
