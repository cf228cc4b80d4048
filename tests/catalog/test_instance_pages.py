"""Admins add and change instances in the console; nobody else can."""

import pytest

from codeengine_ui.access.models import AuditAction, AuditEvent
from codeengine_ui.catalog.models import Instance
from tests.conftest import user_with_role


@pytest.fixture
def team_admin(django_user_model):
    return user_with_role(django_user_model, "lead", "admin")


def test_an_admin_adds_an_instance_then_is_pointed_to_its_token(client, team_admin):
    client.force_login(team_admin)

    response = client.post(
        "/instances/add/", {"name": "acme", "display_name": "Acme production"}, follow=True
    )

    instance = Instance.objects.get(name="acme")
    assert instance.base_url == "https://acme.domo.com"
    html = response.content.decode()
    assert "Added the instance Acme production. Next, add an access token for it." in html
    assert f'href="/tokens/add/?instance={instance.pk}"' in html
    event = AuditEvent.objects.get(action=AuditAction.INSTANCE_CREATED)
    assert event.actor == team_admin
    token_form = client.get(f"/tokens/add/?instance={instance.pk}").content.decode()
    assert f'<option value="{instance.pk}" selected>' in token_form


def test_a_bad_subdomain_or_address_is_explained_and_nothing_is_saved(client, team_admin, settings):
    settings.CODEENGINE_ALLOWED_HOSTS = []
    client.force_login(team_admin)

    bad_name = client.post("/instances/add/", {"name": "acme.evil.com", "display_name": "X"})
    bad_address = client.post(
        "/instances/add/",
        {"name": "local", "display_name": "Local", "custom_base_url": "http://169.254.169.254"},
    )

    assert bad_name.status_code == bad_address.status_code == 200
    assert 'class="field has-error"' in bad_name.content.decode()
    assert "CODEENGINE_ALLOWED_HOSTS" in bad_address.content.decode()
    assert not Instance.objects.exists()


def test_an_admin_renames_an_instance(client, team_admin, instance):
    client.force_login(team_admin)
    listing = client.get("/instances/").content.decode()
    assert f'href="/instances/{instance.pk}/">Emulator</a>' in listing

    client.post(
        f"/instances/{instance.pk}/",
        {
            "name": instance.name,
            "display_name": "Local emulator",
            "custom_base_url": instance.custom_base_url,
        },
    )

    instance.refresh_from_db()
    assert instance.display_name == "Local emulator"
    assert AuditEvent.objects.filter(action=AuditAction.INSTANCE_CHANGED).exists()


@pytest.mark.parametrize("path", ["/instances/", "/instances/add/"])
def test_members_may_not_manage_instances(member_client, path):
    assert member_client.get(path).status_code == 403
    assert (
        member_client.post("/instances/add/", {"name": "x", "display_name": "x"}).status_code == 403
    )
    assert not Instance.objects.exists()
