"""The page of connected assistants: a person sees and revokes their own, an admin every
one; it is linked from the profile and the Team page."""

import pytest

from codeengine_ui.agents.models import ClientConnection
from codeengine_ui.agents.oauth_tokens import access_for
from tests.agents.conftest import connect
from tests.conftest import user_with_role


@pytest.fixture
def admin(django_user_model):
    return user_with_role(django_user_model, "team-admin", "admin")


def test_a_person_sees_their_connection_with_its_functions(member_client, assistant, greet):
    connect(member_client, assistant, functions=[greet])

    page = member_client.get("/ai-clients/").content.decode()

    assert "Claude" in page and "127.0.0.1:33418" in page
    assert "Greet someone" in page
    assert "Approved by" not in page


def test_all_functions_read_as_such(member_client, assistant):
    connect(member_client, assistant)

    page = member_client.get("/ai-clients/").content.decode()

    assert "All the functions you may run" in page


def test_a_person_cannot_see_or_revoke_someone_elses(
    client, member_client, member, assistant, viewer
):
    tokens = connect(member_client, assistant)
    connection = ClientConnection.objects.get(user=member)
    client.force_login(viewer)

    page = client.get("/ai-clients/").content.decode()
    revoke = client.post(f"/ai-clients/{connection.pk}/revoke/")

    assert "No assistant connected" in page
    assert revoke.status_code == 404
    assert access_for(tokens["access_token"]) is not None


def test_an_admin_sees_and_revokes_anyones(client, member_client, member, assistant, admin):
    tokens = connect(member_client, assistant)
    connection = ClientConnection.objects.get(user=member)
    client.force_login(admin)

    page = client.get("/ai-clients/").content.decode()
    client.post(f"/ai-clients/{connection.pk}/revoke/")

    assert "Approved by" in page and "member" in page
    assert access_for(tokens["access_token"]) is None
    assert not ClientConnection.objects.exists()


def test_the_page_is_linked_from_the_profile_and_the_team_page(client, member_client, admin):
    profile = member_client.get("/profile/").content.decode()
    client.force_login(admin)
    team = client.get("/team/").content.decode()

    assert 'href="/ai-clients/"' in profile
    assert 'href="/ai-clients/"' in team
