"""Every kind of audit entry says its details in words on the audit log, never in Python's
notation; the raw JSON stays one click away."""

import html
import re

import pytest

from codeengine_ui.access.audit_details import detail_lines
from codeengine_ui.access.models import AuditAction, AuditEvent
from codeengine_ui.catalog.models import Instance
from tests.conftest import make_token, user_with_role

GRANTS_BEFORE = {"all_members": False, "users": ["ada"], "groups": ["member"]}
GRANTS_AFTER = {"all_members": True, "users": ["bob", "cy"], "groups": ["member"]}
FUNCTION = {
    "package_id": "pkg-1",
    "version": "1.1.0",
    "function_name": "greet",
    "display_name": "Greet",
    "app_alias": "",
    "default_token": "Developer on Emulator (••••e7f8)",
    "key_inputs": ["name"],
    "parameters": [{"name": "name", "type": "text", "isList": False}],
    "output": None,
}

# Details as the code records each action, and the lines the page shows for them.
RECORDED = {
    AuditAction.TOKEN_CREATED: (
        {"all_members": False, "users": ["ada"], "groups": [], "expires_on": None},
        ["All members: no", "Users: ada", "Groups: none", "Expires: never"],
    ),
    AuditAction.TOKEN_RENAMED: (
        {"before": "Sales", "after": "Sales EU"},
        ["Name: Sales → Sales EU"],
    ),
    AuditAction.TOKEN_ROTATED: ({}, []),
    AuditAction.TOKEN_DISABLED: ({}, []),
    AuditAction.TOKEN_ENABLED: ({}, []),
    AuditAction.TOKEN_DELETED: ({}, []),
    AuditAction.TOKEN_GRANTED: (
        {"before": GRANTS_BEFORE, "after": GRANTS_AFTER},
        ["All members: no → yes", "Users added: bob, cy", "Users removed: ada"],
    ),
    AuditAction.TOKEN_EXPIRY_CHANGED: (
        {"before": None, "after": "2027-01-31"},
        ["Expires: never → 2027-01-31"],
    ),
    AuditAction.TOKEN_TESTED: (
        {"ok": False, "result": "HTTP 401: the token was refused"},
        ["Connection: failed", "Answer: HTTP 401: the token was refused"],
    ),
    AuditAction.TOKEN_MOVED: (
        {"before": "Emulator", "after": "Production"},
        ["Instance: Emulator → Production"],
    ),
    AuditAction.TOKENS_REENCRYPTED: (
        {"unreadable": ["Lost on Emulator (••••1234)"]},
        ["Could not be decrypted: Lost on Emulator (••••1234)"],
    ),
    AuditAction.INSTANCE_CREATED: ({}, []),
    AuditAction.INSTANCE_CHANGED: (
        {"name": ["acme", "acme-eu"], "display_name": ["Acme", "Acme EU"]},
        ["Subdomain: acme → acme-eu", "Display name: Acme → Acme EU"],
    ),
    AuditAction.INSTANCE_DELETED: ({}, []),
    AuditAction.ROLE_CHANGED: ({"added": ["admin"]}, ["Roles added: admin"]),
    AuditAction.USER_CREATED: (
        {"is_active": True, "is_staff": False, "is_superuser": False},
        ["Active: yes", "Staff: no", "Superuser: no"],
    ),
    AuditAction.USER_CHANGED: (
        {"username": ["grace", "grace.h"], "is_superuser": [False, True]},
        ["Username: grace → grace.h", "Superuser: no → yes"],
    ),
    AuditAction.USER_DELETED: ({}, []),
    AuditAction.PASSWORD_CHANGED: ({}, []),
    AuditAction.PERMISSIONS_CHANGED: (
        {"added": ["catalog.add_instance", "catalog.view_instance"], "removed": []},
        [
            "Permissions added: catalog.add_instance, catalog.view_instance",
            "Permissions removed: none",
        ],
    ),
    AuditAction.GROUP_CREATED: ({}, []),
    AuditAction.GROUP_CHANGED: (
        {"before": "ops", "after": "operations"},
        ["Name: ops → operations"],
    ),
    AuditAction.GROUP_DELETED: ({}, []),
    AuditAction.RUNS_PRUNED: (
        {"runs": 12345, "older_than_days": 30},
        ["Runs deleted: 12,345", "Older than: 30 days"],
    ),
    AuditAction.LOGIN_FAILED: ({"usernames": ["root", "admin"]}, ["Usernames tried: root, admin"]),
    AuditAction.API_KEY_CREATED: ({"scope": "read"}, ["Scope: Read only"]),
    AuditAction.API_KEY_FIRST_USED: ({}, []),
    AuditAction.API_KEY_REVOKED: ({"owner": "ada"}, ["Owner: ada"]),
    AuditAction.AI_CLIENT_CONNECTED: (
        {"client": "Claude", "tools": ["Greet someone"]},
        ["Client: Claude", "Functions as tools: Greet someone"],
    ),
    AuditAction.AI_CLIENT_REVOKED: (
        {"client": "Claude", "owner": "ada"},
        ["Client: Claude", "Owner: ada"],
    ),
    AuditAction.AI_TOOLS_LIMITED: (
        {"api_key": "CI agent", "tools": "all the functions the person may run"},
        ["API key: CI agent", "Functions as tools: all the functions the person may run"],
    ),
    AuditAction.SIGN_IN_FAILED: (
        {"provider": "Okta", "error": "unknown", "exception": "OAuth2Error"},
        ["Provider: Okta", "Error: unknown", "Exception: OAuth2Error"],
    ),
    AuditAction.SIGN_IN_REFUSED: (
        {
            "provider": "Okta",
            "subject": "00u1",
            "emails": ["ada@acme.example"],
            "why": "the email is not verified",
        },
        [
            "Provider: Okta",
            "Subject at the provider: 00u1",
            "Emails claimed: ada@acme.example",
            "Why: the email is not verified",
        ],
    ),
    AuditAction.IDENTITY_LINKED: (
        {"provider": "Okta", "subject": "00u1"},
        ["Provider: Okta", "Subject at the provider: 00u1"],
    ),
    AuditAction.IDENTITY_UNLINKED: (
        {"provider": "Okta", "subject": "00u1"},
        ["Provider: Okta", "Subject at the provider: 00u1"],
    ),
    AuditAction.FUNCTION_CREATED: (
        {"instance": "INSTANCE", **FUNCTION},
        [
            "Instance: Emulator",
            "Package: pkg-1",
            "Version: 1.1.0",
            "Function name: greet",
            "Display name: Greet",
            "App alias: none",
            "Default token: Developer on Emulator (••••e7f8)",
            "Key inputs: name",
            'Inputs: [{"name": "name", "type": "text", "isList": false}]',
            "Output: none",
        ],
    ),
    AuditAction.FUNCTION_CHANGED: (
        {
            "instance": ["INSTANCE", 999999],
            "default_token": [None, "Sales on Acme (••••1234)"],
            "key_inputs": [[], ["name", "region"]],
        },
        [
            "Instance: Emulator → #999999 (deleted)",
            "Default token: none → Sales on Acme (••••1234)",
            "Key inputs: none → name, region",
        ],
    ),
    AuditAction.FUNCTION_DELETED: ({"instance": "INSTANCE", **FUNCTION}, ["Instance: Emulator"]),
    AuditAction.PRESET_CREATED: (
        {"name": "Ada", "inputs": {"name": "Ada", "excited": True}},
        ["Name: Ada", 'Inputs: {"name": "Ada", "excited": true}'],
    ),
    AuditAction.PRESET_CHANGED: (
        {"inputs": [{"name": "Ada"}, {"characters": 5000, "sha256": "0123456789abcdef"}]},
        ['Inputs: {"name": "Ada"} → 5,000 characters (SHA-256 0123456789abcdef)'],
    ),
    AuditAction.PRESET_DELETED: ({"name": "Ada", "inputs": {}}, ["Name: Ada", "Inputs: {}"]),
    AuditAction.CASE_CREATED: (
        {
            "name": "Greets Ada",
            "function": "FUNCTION",
            "inputs": {"name": "Ada"},
            "expectations": [{"kind": "outcome", "status": "SUCCESS"}],
            "snapshot": None,
            "ignored_paths": [],
        },
        [
            "Name: Greets Ada",
            "Function: Greet someone 1.1.0",
            'Inputs: {"name": "Ada"}',
            'Expectations: [{"kind": "outcome", "status": "SUCCESS"}]',
            "Snapshot: none",
            "Ignored paths: none",
        ],
    ),
    AuditAction.CASE_CHANGED: (
        {"ignored_paths": [[], ["$.at"]]},
        ["Ignored paths: none → $.at"],
    ),
    AuditAction.CASE_DELETED: (
        {"name": "Greets Ada", "function": 999999},
        ["Name: Greets Ada", "Function: #999999 (deleted)"],
    ),
    AuditAction.SUITE_CREATED: (
        {
            "name": "Nightly",
            "schedule": "Every hour",
            "every_minutes": None,
            "run_on_new_version": True,
            "webhook_url": "",
        },
        [
            "Name: Nightly",
            "Schedule: Every hour",
            "Every (minutes): none",
            "Runs on each new version: yes",
            "Webhook: none",
        ],
    ),
    AuditAction.SUITE_CHANGED: (
        {"cases_added": ["Greets Ada of Greet", "Sums of Add"]},
        ["Cases added: Greets Ada of Greet, Sums of Add"],
    ),
    AuditAction.SUITE_DELETED: ({"name": "Nightly"}, ["Name: Nightly"]),
    AuditAction.MONITOR_CHANGED: (
        {"change": "changed the case", "acted_as": ["ada", "bob"], "every_minutes": [None, 15]},
        ["Change: changed the case", "Acts as: ada → bob", "Every (minutes): none → 15"],
    ),
    AuditAction.NOTIFICATION_FAILED: (
        {"subject": "Nightly failed", "why": "SMTP refused the message"},
        ["Message: Nightly failed", "Why: SMTP refused the message"],
    ),
    **{
        action: (
            {"plan": "50 virtual users for 30 s", "asked_by": "ada"},
            ["Asked by: ada", "Plan: 50 virtual users for 30 s"],
        )
        for action in (
            AuditAction.LOAD_RUN_CONFIRMED,
            AuditAction.LOAD_RUN_REQUESTED,
            AuditAction.LOAD_RUN_APPROVED,
            AuditAction.LOAD_RUN_DECLINED,
        )
    },
}


@pytest.fixture
def team_admin(client, django_user_model):
    admin = user_with_role(django_user_model, "team-admin", "admin")
    client.force_login(admin)
    return admin


def _details_shown(client, action) -> list[list[str]]:
    """Each listed event's detail lines, as text a reader sees."""
    page = client.get(f"/audit/?action={action}").content.decode()
    cells = re.findall(r'<td class="audit-details[^"]*"[^>]*>(.*?)</td>', page, re.S)
    return [
        [
            html.unescape(re.sub(r"<[^>]+>", "", item))
            for item in re.findall(r"<li>(.*?)</li>", cell, re.S)
        ]
        for cell in cells
    ]


def test_every_action_the_code_records_has_its_details_described():
    assert set(RECORDED) == set(AuditAction)


@pytest.mark.parametrize("action", list(RECORDED))
def test_details_read_as_words(client, team_admin, greet, instance, action):
    details, expected = RECORDED[action]
    ids = {"INSTANCE": instance.pk, "FUNCTION": greet.pk}

    def with_ids(value):
        if isinstance(value, list):
            return [with_ids(item) for item in value]
        return ids.get(value, value) if isinstance(value, str) else value

    AuditEvent.objects.all().delete()  # what the fixtures made
    AuditEvent.objects.create(
        action=action, target="x", details={k: with_ids(v) for k, v in details.items()}
    )

    [shown] = _details_shown(client, action)
    assert shown[: len(expected)] == expected
    if len(expected) == len(details) or action == AuditAction.TOKEN_GRANTED:
        assert len(shown) == len(expected)
    text = " ".join(shown)
    for python in ("True", "False", "None", "{'", "['", "':"):
        assert python not in text


def test_a_real_grant_change_reads_as_who_was_added(client, team_admin, instance, member):
    token = make_token(instance, "Sales", "sales-token-000000000000000001", shared=False)
    token.granted_users.add(member)

    [shown, *_] = _details_shown(client, AuditAction.TOKEN_GRANTED)

    assert shown == ["Users added: member"]


def test_the_raw_json_is_kept_behind_a_disclosure(client, team_admin):
    AuditEvent.objects.create(
        action=AuditAction.TOKEN_CREATED, target="x", details={"all_members": True}
    )

    page = client.get("/audit/?action=token_created").content.decode()

    raw = "<pre>{\n  &quot;all_members&quot;: true\n}</pre>"
    assert f'<details class="audit-raw"><summary>JSON</summary>{raw}' in page


def test_a_long_value_is_cut_with_the_whole_on_hover(client, team_admin):
    notes = "word " * 100
    AuditEvent.objects.create(
        action=AuditAction.PRESET_CREATED, target="x", details={"name": notes}
    )

    page = client.get("/audit/?action=preset_created").content.decode()

    assert f'<span title="{notes}">' in page
    [shown] = _details_shown(client, AuditAction.PRESET_CREATED)
    assert shown[0].endswith("…") and len(shown[0]) < 200


def test_the_admin_shows_the_same_words(admin_client, instance):
    Instance.objects.filter(pk=instance.pk).update(display_name="Emulator")
    event = AuditEvent.objects.create(
        action=AuditAction.TOKEN_CREATED, target="x", details={"all_members": False, "users": []}
    )

    page = admin_client.get(f"/admin/access/auditevent/{event.pk}/change/").content.decode()

    assert "All members: no" in page and "Users: none" in page


def test_details_read_in_one_order_whatever_order_the_database_keeps():
    stored = {"expires_on": None, "groups": [], "users": ["ada"], "all_members": False}
    event = AuditEvent(action=AuditAction.TOKEN_CREATED, target="x", details=stored)

    lines = [line.label for line in detail_lines(event, names={})]

    assert lines == ["All members", "Users", "Groups", "Expires"]
