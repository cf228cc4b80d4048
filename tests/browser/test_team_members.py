"""Admins add people to the team from the console: a role, and a first password by a
link they follow or a one-time password."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from codeengine_ui.access.roles import Role, role_of

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def admin(admin_user):
    admin_user.set_password("admin-password")
    admin_user.save()
    return admin_user


def _add(page, username: str, role: str, password_by: str) -> None:
    page.goto("/team/")
    page.get_by_role("link", name="Add a user").click()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.com")
    page.get_by_label("Role").select_option(label=role)
    page.get_by_label(password_by).check()
    page.get_by_role("button", name="Add the user").click()


def test_an_admin_adds_a_member_who_chooses_a_password_by_the_link(
    page, browser, live_server, admin
):
    log_in(page, "admin", "admin-password")
    _add(page, "grace", "Member", "A link where they choose it")
    link = page.get_by_label("Link to choose a password").input_value()
    assert re.search(r"/accounts/reset/[^/]+/[^/]+/$", link)
    grace = get_user_model().objects.get(username="grace")
    assert role_of(grace) == Role.MEMBER and not grace.has_usable_password()

    newcomer = browser.new_context(base_url=live_server.url).new_page()
    newcomer.goto(link)
    newcomer.get_by_label("New password", exact=True).fill("a-long-Passphrase-42")
    newcomer.get_by_label("New password confirmation").fill("a-long-Passphrase-42")
    newcomer.get_by_role("button", name="Save the password").click()
    expect(newcomer.get_by_role("heading", name="Password saved")).to_be_visible()
    log_in(newcomer, "grace", "a-long-Passphrase-42")
    expect(newcomer.get_by_role("button", name="Log out")).to_be_visible()

    newcomer.goto(link)
    expect(newcomer.get_by_text("This link has been used or is too old")).to_be_visible()


def test_a_one_time_password_is_shown_once_and_works(page, browser, live_server, admin):
    log_in(page, "admin", "admin-password")
    _add(page, "linus", "Viewer", "A password made up now")
    password = page.get_by_label("One-time password").input_value()
    assert len(password) >= 12
    page.goto("/team/")
    expect(page.get_by_role("cell", name="linus linus@example.com")).to_be_visible()
    assert password not in page.content()

    newcomer = browser.new_context(base_url=live_server.url).new_page()
    log_in(newcomer, "linus", password)
    expect(newcomer.get_by_role("button", name="Log out")).to_be_visible()
    assert role_of(get_user_model().objects.get(username="linus")) == Role.VIEWER


def test_a_username_already_taken_is_refused_at_the_field(page, admin, member):
    log_in(page, "admin", "admin-password")
    _add(page, "MEMBER", "Viewer", "A link where they choose it")
    expect(page.get_by_text("MEMBER is already on the team.")).to_be_visible()
    assert get_user_model().objects.filter(username__iexact="member").count() == 1
