"""A password is recorded as set by whoever set it: the person following their own link
(nobody is logged in), the person changing their own, an admin for someone else."""

from urllib.parse import urlsplit

import pytest
from django.test import Client

from codeengine_ui.access.models import AuditAction, AuditEvent
from tests.conftest import user_with_role

NEW_PASSWORD = "a-Long-new-password-481"


@pytest.fixture
def team_admin(client, django_user_model):
    admin = user_with_role(django_user_model, "team-admin", "admin")
    client.force_login(admin)
    return admin


def _password_sets():
    return list(AuditEvent.objects.filter(action=AuditAction.PASSWORD_CHANGED).order_by("id"))


def test_a_new_user_choosing_their_first_password_by_link_is_its_actor(
    client, team_admin, django_user_model
):
    added = client.post(
        "/team/add/", {"username": "grace", "email": "", "role": "2", "password_by": "link"}
    )
    link = urlsplit(added.context["link"]).path
    grace = django_user_model.objects.get(username="grace")
    stranger = Client()

    form = stranger.get(link, follow=True)
    done = stranger.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert done["Location"] == "/accounts/reset/done/"
    [password_set] = _password_sets()
    assert (password_set.actor, password_set.actor_name) == (grace, "grace")
    assert password_set.target == "user grace" and password_set.ip_address == "127.0.0.1"
    page = client.get("/audit/?action=password_changed").content.decode()
    assert "(system)" not in page.split("<tbody>")[1]


def test_a_user_changing_their_own_password_is_its_actor(member_client, member):
    member_client.post(
        "/accounts/password/",
        {"old_password": "member-password", "new_password1": NEW_PASSWORD,
         "new_password2": NEW_PASSWORD},
    )  # fmt: skip

    [password_set] = _password_sets()
    assert (password_set.actor, password_set.target) == (member, "user member")


def test_a_link_refused_sets_nothing_and_records_nothing(client, member):
    response = Client().post(
        "/accounts/reset/MQ/wrong-token/",
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )

    assert response.status_code == 200
    assert _password_sets() == []
