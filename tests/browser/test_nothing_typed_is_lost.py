"""What a person types survives a session that ends, a login, and Back/Forward."""

import re

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from tests.conftest import save_demo_function

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _order_form(page, instance, developer_token):
    function = save_demo_function(instance, developer_token, "summariseOrder")
    log_in(page, "member", "member-password")
    page.goto(f"/functions/{function.pk}/run/")
    return function


def _type_an_order(page):
    order = page.get_by_role("group", name="order")
    order.get_by_label("orderId").fill("B-7")
    page.get_by_role("button", name="Add lines item").click()
    expect(page.get_by_role("group", name="lines 1")).to_be_visible()
    page.get_by_role("group", name="lines 1").get_by_label("sku").fill("SKU-1")
    page.get_by_role("button", name="Add lines item").click()
    expect(page.get_by_role("group", name="lines 2")).to_be_visible()
    page.get_by_role("group", name="lines 2").get_by_label("sku").fill("SKU-2")


def _log_in_again(page):
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    page.get_by_label("Username").fill("member")
    page.get_by_label("Password").fill("member-password")
    page.get_by_role("button", name="Log in").click()


def _expect_the_order_back(page):
    expect(page.get_by_role("group", name="lines 2").get_by_label("sku")).to_have_value("SKU-2")
    expect(page.get_by_role("group", name="lines 1").get_by_label("sku")).to_have_value("SKU-1")
    expect(page.get_by_role("group", name="order").get_by_label("orderId")).to_have_value("B-7")


def test_an_ended_session_sends_the_whole_page_to_the_login_and_what_was_typed_comes_back(
    page, member, instance, developer_token
):
    function = _order_form(page, instance, developer_token)
    _type_an_order(page)

    Session.objects.all().delete()  # logged out in another tab
    page.get_by_role("button", name="Add tags item").click()

    _log_in_again(page)
    expect(page).to_have_url(re.compile(rf"/functions/{function.pk}/run/$"))
    assert page.locator("#inputs-editor form").count() == 0, "no login page inside the editor"
    page.get_by_role("button", name="Restore what you typed").click()
    _expect_the_order_back(page)
    expect(page.get_by_text("Restored what you typed.")).to_be_visible()
    assert page.problems == []


def test_running_after_the_session_ended_keeps_the_inputs_for_after_the_login(page, member, greet):
    log_in(page, "member", "member-password")
    page.goto(f"/functions/{greet.pk}/run/")
    page.get_by_role("textbox", name="Name", exact=True).fill("Typed before the session ended")

    Session.objects.all().delete()
    page.get_by_role("button", name="Run function").click()

    _log_in_again(page)
    expect(page.get_by_role("textbox", name="Name", exact=True)).not_to_have_value(
        "Typed before the session ended"
    )
    page.get_by_role("button", name="Restore what you typed").click()
    expect(page.get_by_role("textbox", name="Name", exact=True)).to_have_value(
        "Typed before the session ended"
    )


def test_back_and_forward_bring_back_list_edits(page, member, instance, developer_token):
    _order_form(page, instance, developer_token)
    _type_an_order(page)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="History").click()
    expect(page).to_have_url(re.compile(r"/executions/"))
    page.go_back()

    _expect_the_order_back(page)
