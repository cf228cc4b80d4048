"""Every change to access is in the audit log, made in the admin, the console or a shell."""

from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from codeengine_ui.access.models import AuditAction, AuditEvent
from codeengine_ui.catalog.models import AccessToken, Instance
from codeengine_ui.runs.models import Execution
from tests.conftest import stored_run, user_with_role
from tests.html_forms import submitted_fields


def _events(action: AuditAction, actor=None):
    events = AuditEvent.objects.filter(action=action).order_by("id")
    return list(events.filter(actor=actor) if actor is not None else events)


def _admin_change(client, path: str, **changes):
    """Post an admin change page back as shown, with `changes` applied."""
    form = submitted_fields(client.get(path).content.decode())
    for name, value in changes.items():
        if isinstance(value, list):
            form.setlist(name, value)
        elif value is None:
            form.pop(name, None)
        else:
            form[name] = value
    response = client.post(path, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


def test_the_admin_cannot_move_a_token_to_another_instance(
    admin_client, admin_user, developer_token
):
    other = Instance.objects.create(name="other", display_name="Other")
    path = f"/admin/catalog/accesstoken/{developer_token.pk}/change/"

    _admin_change(admin_client, path, instance=str(other.pk), label="Moved?")

    token = AccessToken.objects.get(pk=developer_token.pk)
    assert token.instance_id == developer_token.instance_id
    [renamed] = _events(AuditAction.TOKEN_RENAMED, admin_user)
    assert renamed.details == {"before": "Developer", "after": "Moved?"}
    assert not _events(AuditAction.TOKEN_MOVED)


def test_the_admin_refuses_a_grant_to_an_id_no_database_holds(admin_client, developer_token):
    path = f"/admin/catalog/accesstoken/{developer_token.pk}/change/"
    form = submitted_fields(admin_client.get(path).content.decode())
    form.setlist("granted_users", ["9" * 25])

    response = admin_client.post(path, form)

    assert response.status_code == 200
    assert "is not a valid value." in response.content.decode()
    assert not developer_token.granted_users.exists()


def test_djangos_user_and_group_pages_refuse_ids_no_database_holds(admin_client, member):
    user_page = f"/admin/auth/user/{member.pk}/change/"
    group = Group.objects.get(name="member")
    group_page = f"/admin/auth/group/{group.pk}/change/"
    for path, field in ((user_page, "groups"), (user_page, "user_permissions"),
                        (group_page, "permissions")):  # fmt: skip
        form = submitted_fields(admin_client.get(path).content.decode())
        form.setlist(field, ["9" * 25])

        response = admin_client.post(path, form)

        assert response.status_code == 200, (path, field)
        assert "is not a valid value." in response.content.decode()
    assert list(member.groups.values_list("name", flat=True)) == ["member"]


def test_token_changes_in_the_admin_are_recorded_once_each(
    admin_client, admin_user, developer_token, member
):
    path = f"/admin/catalog/accesstoken/{developer_token.pk}/change/"

    _admin_change(
        admin_client,
        path,
        is_active=None,
        shared_with_members=None,
        granted_users=[str(member.pk)],
        expires_on="2031-01-01",
    )

    assert [e.action for e in AuditEvent.objects.filter(actor=admin_user).order_by("id")] == [
        AuditAction.TOKEN_DISABLED,
        AuditAction.TOKEN_EXPIRY_CHANGED,
        AuditAction.TOKEN_GRANTED,
    ]
    [granted] = _events(AuditAction.TOKEN_GRANTED)
    assert granted.details["after"] == {"all_members": False, "users": ["member"], "groups": []}
    assert granted.ip_address == "127.0.0.1"


def test_a_token_deleted_in_the_admin_is_recorded(admin_client, admin_user, developer_token):
    admin_client.post(f"/admin/catalog/accesstoken/{developer_token.pk}/delete/", {"post": "yes"})

    assert not AccessToken.objects.exists()
    [deleted] = _events(AuditAction.TOKEN_DELETED, admin_user)
    assert deleted.target == "Developer on Emulator (••••e7f8)"


def test_making_a_viewer_superuser_in_the_admin_is_recorded(admin_client, admin_user, viewer):
    _admin_change(admin_client, f"/admin/auth/user/{viewer.pk}/change/", is_superuser="on")

    [changed] = _events(AuditAction.USER_CHANGED, admin_user)
    assert changed.target == "user viewer"
    assert changed.details == {"is_superuser": [False, True]}


def test_users_created_given_roles_and_deleted_in_the_admin_are_recorded(admin_client, admin_user):
    admin_client.post(
        "/admin/auth/user/add/",
        {"username": "newcomer", "password1": "A-long-pass-9981", "password2": "A-long-pass-9981",
         "usable_password": "true"},
    )  # fmt: skip
    newcomer = type(admin_user).objects.get(username="newcomer")
    member_group = Group.objects.get_or_create(name="member")[0]
    _admin_change(
        admin_client, f"/admin/auth/user/{newcomer.pk}/change/", groups=[str(member_group.pk)]
    )
    admin_client.post(f"/admin/auth/user/{newcomer.pk}/delete/", {"post": "yes"})

    actions = [e.action for e in AuditEvent.objects.filter(actor=admin_user).order_by("id")]
    assert actions == [
        AuditAction.USER_CREATED,
        AuditAction.ROLE_CHANGED,
        AuditAction.USER_DELETED,
    ]
    assert _events(AuditAction.ROLE_CHANGED, admin_user)[0].details == {"added": ["member"]}


def test_a_password_set_in_the_admin_is_recorded_without_it(admin_client, admin_user, member):
    admin_client.post(
        f"/admin/auth/user/{member.pk}/password/",
        {"password1": "Another-pass-7731", "password2": "Another-pass-7731"},
    )

    [event] = _events(AuditAction.PASSWORD_CHANGED, admin_user)
    assert event.target == "user member" and "Another-pass" not in str(event.details)


def test_groups_and_their_permissions_are_recorded(admin_client, admin_user):
    permission = Permission.objects.get(codename="view_execution")
    admin_client.post("/admin/auth/group/add/", {"name": "auditors"})
    group = Group.objects.get(name="auditors")
    _admin_change(
        admin_client,
        f"/admin/auth/group/{group.pk}/change/",
        name="readers",
        permissions=[str(permission.pk)],
    )
    admin_client.post(f"/admin/auth/group/{group.pk}/delete/", {"post": "yes"})

    actions = [e.action for e in AuditEvent.objects.filter(actor=admin_user).order_by("id")]
    assert actions == [
        AuditAction.GROUP_CREATED,
        AuditAction.GROUP_CHANGED,
        AuditAction.PERMISSIONS_CHANGED,
        AuditAction.GROUP_DELETED,
    ]
    assert _events(AuditAction.PERMISSIONS_CHANGED)[0].details == {
        "added": ["runs.view_execution"],
        "removed": [],
    }


def test_runs_cannot_be_deleted_from_the_admin(admin_client, greet, developer_token, member):
    run = stored_run(greet, developer_token, member)

    single = admin_client.post(f"/admin/runs/execution/{run.pk}/delete/", {"post": "yes"})
    bulk = admin_client.post(
        "/admin/runs/execution/",
        {"action": "delete_selected", "_selected_action": [run.pk], "post": "yes"},
    )

    assert single.status_code == 403
    assert bulk.status_code in (200, 302)
    assert Execution.objects.filter(pk=run.pk).exists()


def test_changes_made_in_a_shell_are_recorded_by_nobody(developer_token, member, instance):
    """Outside a request there is no actor; each change is recorded as it is saved."""
    developer_token.label = "From a shell"
    developer_token.save()
    developer_token.granted_users.add(member)
    member.granted_tokens.remove(developer_token)
    group = Group.objects.create(name="ops")
    group.user_set.add(member)
    instance.display_name = "Renamed instance"
    instance.save()
    instance.save()

    assert _events(AuditAction.TOKEN_RENAMED)[0].actor is None
    grants = [event.details["after"]["users"] for event in _events(AuditAction.TOKEN_GRANTED)]
    assert grants == [["member"], []]
    assert _events(AuditAction.ROLE_CHANGED)[-1].details == {"added": ["ops"]}
    [renamed] = _events(AuditAction.INSTANCE_CHANGED)
    assert renamed.details == {"display_name": ["Emulator", "Renamed instance"]}


def test_a_rejected_change_leaves_no_record(admin_client, developer_token):
    """A form that fails validation changes nothing, so nothing is recorded."""
    admin_client.post(f"/tokens/{developer_token.pk}/", {"label": ""})

    assert not AuditEvent.objects.filter(actor__isnull=False).exists()


def test_re_encryption_is_one_record_not_one_per_token(settings, developer_token):
    from cryptography.fernet import Fernet

    settings.TOKEN_ENCRYPTION_KEYS = [
        Fernet.generate_key().decode(),
        *settings.TOKEN_ENCRYPTION_KEYS,
    ]

    call_command("rotate_token_encryption")

    assert not _events(AuditAction.TOKEN_ROTATED)
    assert len(_events(AuditAction.TOKENS_REENCRYPTED)) == 1


def test_pruning_runs_is_recorded(greet, developer_token, member):
    from datetime import timedelta

    from django.utils import timezone

    stored_run(greet, developer_token, member, status="SUCCESS",
               queued_at=timezone.now() - timedelta(days=100))  # fmt: skip

    call_command("prune_executions", "--days", "90")

    [pruned] = _events(AuditAction.RUNS_PRUNED)
    assert pruned.details == {"runs": 1, "older_than_days": 90} and pruned.actor is None


def test_users_and_instances_made_by_fixtures_are_recorded_too(django_user_model):
    user_with_role(django_user_model, "fixture-user", "viewer")

    [created] = _events(AuditAction.USER_CREATED)
    assert created.target == "user fixture-user"
