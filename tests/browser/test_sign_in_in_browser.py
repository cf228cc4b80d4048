"""Signing in with the identity provider in Chromium: the console's button, the provider's
own pages, back to the console with the role the groups claim gives, and logging out of
both."""

import re

import pytest
from playwright.sync_api import expect

from tests.identity_provider import PROVIDER_LABEL

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_person_signs_in_with_the_provider_and_out_of_both(page, identity_provider):
    identity_provider.add_user(
        "ada-sub", preferred_username="ada", email="ada@acme.example", email_verified=True,
        groups=["ce-developers"],
    )  # fmt: skip

    page.goto("/functions/")
    page.get_by_role("button", name=f"Sign in with {PROVIDER_LABEL}").click()
    # The provider's own consent page.
    expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible()
    page.get_by_label("Subject").fill("ada-sub")
    page.get_by_role("button", name="Authorize", exact=True).click()

    expect(page).to_have_url(re.compile(r"/functions/$"))
    expect(page.get_by_text("ada", exact=True).first).to_be_visible()
    page.goto("/")
    expect(page.get_by_text("has no role in the console yet")).to_have_count(0)

    page.get_by_role("button", name=re.compile("Log out")).click()
    expect(page.get_by_role("heading", name="End Session")).to_be_visible()
    assert identity_provider.end_session_requests[-1].get("id_token_hint")
    page.get_by_role("button", name="End session").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    # The provider's pages fetch a stylesheet from a CDN (out of reach here) and a favicon
    # it does not have (werkzeug's "NOT FOUND"); the console's pages have no problem.
    provider_noise = ("ERR_NAME_NOT_RESOLVED", "404 (NOT FOUND)")
    assert [text for text in page.problems if not text.endswith(provider_noise)] == []


def test_a_person_whose_groups_give_no_role_is_asked_to_see_an_admin(page, identity_provider):
    identity_provider.add_user("sam", preferred_username="sam", groups=["sales"])

    page.goto("/accounts/login/")
    page.get_by_role("button", name=f"Sign in with {PROVIDER_LABEL}").click()
    page.get_by_label("Subject").fill("sam")
    page.get_by_role("button", name="Authorize", exact=True).click()

    expect(page.get_by_text("has no role in the console yet")).to_be_visible()


def test_a_refused_sign_in_comes_back_to_a_clear_page(page, identity_provider):
    page.goto("/accounts/login/")
    page.get_by_role("button", name=f"Sign in with {PROVIDER_LABEL}").click()
    page.get_by_role("button", name="Deny access").click()

    expect(page.get_by_role("heading", name="Sign-in cancelled")).to_be_visible()
    page.get_by_role("link", name="Back to the login page").click()
    expect(page.get_by_role("button", name=f"Sign in with {PROVIDER_LABEL}")).to_be_visible()
