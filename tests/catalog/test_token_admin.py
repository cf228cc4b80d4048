"""The token is write-only in the admin: accepted once, never rendered back."""

from codeengine_ui.catalog.encryption import decrypt_token
from codeengine_ui.catalog.models import AccessToken
from tests.conftest import DEVELOPER_TOKEN


def test_admin_adds_a_token_and_never_shows_it(admin_client, instance):
    response = admin_client.post(
        "/admin/catalog/accesstoken/add/",
        {"instance": instance.pk, "label": "Ops", "secret": DEVELOPER_TOKEN, "is_active": "on"},
    )

    assert response.status_code == 302
    token = AccessToken.objects.get(label="Ops")
    assert token.masked == "••••e7f8"
    for page in ("/admin/catalog/accesstoken/", f"/admin/catalog/accesstoken/{token.pk}/change/"):
        html = admin_client.get(page).content.decode()
        assert DEVELOPER_TOKEN not in html
        assert token.encrypted_value not in html
        assert "••••e7f8" in html


def test_admin_edit_without_a_new_token_keeps_the_old_one(admin_client, developer_token):
    response = admin_client.post(
        f"/admin/catalog/accesstoken/{developer_token.pk}/change/",
        {
            "instance": developer_token.instance_id,
            "label": "Renamed",
            "secret": "",
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    developer_token.refresh_from_db()
    assert developer_token.label == "Renamed"
    assert decrypt_token(developer_token.encrypted_value) == DEVELOPER_TOKEN


def test_admin_refuses_a_truncated_token(admin_client, instance):
    response = admin_client.post(
        "/admin/catalog/accesstoken/add/",
        {"instance": instance.pk, "label": "Short", "secret": "abc123", "is_active": "on"},
    )

    assert response.status_code == 200
    assert "too short to be a Domo access token" in response.content.decode()
    assert not AccessToken.objects.filter(label="Short").exists()


def test_admin_requires_a_token_when_adding(admin_client, instance):
    response = admin_client.post(
        "/admin/catalog/accesstoken/add/",
        {"instance": instance.pk, "label": "Empty", "secret": "", "is_active": "on"},
    )

    assert "Paste the token to store." in response.content.decode()
