"""A person input suggests the instance's people as one types; the keyboard chooses."""

import pytest
from playwright.sync_api import expect

from codeengine_ui.demo.package import DEMO_PACKAGE_ID, LATEST_DEMO_VERSION, demo_packages
from tests.conftest import save_demo_function

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_person_is_picked_by_name_and_sent_as_an_id(page, member, instance, developer_token):
    types = save_demo_function(instance, developer_token, "describeTypes")
    log_in(page, "member", "member-password")
    page.goto(f"/functions/{types.pk}/run/")

    person = page.locator("input[data-picker=person]")
    person.fill("")
    person.press_sequentially("lovel")
    suggestions = page.get_by_role("listbox", name="Suggestions")
    expect(suggestions.get_by_role("option")).to_have_count(1)
    expect(suggestions).to_contain_text("Ada Lovelace · ada@acme.example (481303514)")
    person.press("ArrowDown")
    person.press("Enter")
    expect(person).to_have_value("481303514")
    expect(person).to_have_attribute("role", "combobox")
    expect(suggestions).to_be_hidden()
    assert page.problems == []


def test_a_typed_id_is_checked_and_named(page, member, instance, developer_token):
    types = save_demo_function(instance, developer_token, "describeTypes")
    log_in(page, "member", "member-password")
    page.goto(f"/functions/{types.pk}/run/")

    person = page.locator("input[data-picker=person]")
    # The prefilled id is named as the page opens.
    expect(page.locator(f"#{person.get_attribute('id')}-named")).to_have_text(
        "Ada Lovelace · ada@acme.example"
    )
    person.fill("481303516")
    person.press("Tab")
    named = page.locator(f"#{person.get_attribute('id')}-named")
    expect(named).to_have_text("Alan Turing · alan@acme.example")
    person.fill("12345")
    person.press("Tab")
    expect(named).to_have_text("No person has the id 12345 on this instance.")
    assert page.problems == []


def test_a_list_of_people_is_a_row_of_chips_picked_by_name(
    page, member, instance, developer_token, worker_thread
):
    share = save_demo_function(instance, developer_token, "shareDataset")
    log_in(page, "member", "member-password")
    page.goto(f"/functions/{share.pk}/run/")

    recipients = page.get_by_role("list", name="recipients")
    expect(recipients.locator(".chip-input")).to_have_count(1)
    expect(recipients).to_contain_text("Ada Lovelace")
    page.get_by_role("button", name="Add a person").click()
    chip = recipients.locator(".chip-input").nth(1)
    expect(chip).to_be_focused()
    chip.press_sequentially("grace")
    page.get_by_role("option").filter(has_text="Grace Hopper").click()
    expect(chip).to_have_value("481303515")
    expect(recipients).to_contain_text("Grace Hopper")

    page.get_by_role("button", name="Add a group").click()
    group = page.get_by_role("list", name="teams").locator(".chip-input").first
    expect(group).to_be_focused()
    group.press_sequentially("fin")
    expect(page.get_by_role("option").filter(has_text="Finance")).to_be_visible()
    group.press("ArrowDown")
    group.press("Enter")
    expect(group).to_have_value("1201")

    page.get_by_role("button", name="Remove recipients 1").click()
    expect(recipients.locator(".chip-input")).to_have_count(1)
    expect(recipients.locator(".chip-input")).to_have_value("481303515")

    page.get_by_role("button", name="Run function").click()
    expect(page.locator("#run-panel")).to_contain_text("Shared with 1 people and 1 groups.")
    run = share.executions.get()
    assert run.input_variables["recipients"] == ["481303515"]
    assert run.input_variables["teams"] == ["1201"]
    assert page.problems == []


def test_every_demo_form_opens_clean(page, member, instance, developer_token):
    """A new user's first forms: every default names a directory entry that exists."""
    names = [
        function["definition"]["name"]
        for package in demo_packages()
        if package["id"] == DEMO_PACKAGE_ID
        for function in package["versions"][LATEST_DEMO_VERSION]["functions"]
    ]
    log_in(page, "member", "member-password")
    for name in names:
        function = save_demo_function(instance, developer_token, name)
        page.goto(f"/functions/{function.pk}/run/")
        pickers = page.locator("input[data-picker]")
        for index in range(pickers.count()):
            picker = pickers.nth(index)
            if picker.input_value():
                expect(page.locator(f"#{picker.get_attribute('id')}-named")).not_to_be_empty()
        assert page.locator(".picker-named.problem, .field-error").all_inner_texts() == [], name
    assert page.problems == []


def test_a_picked_person_chip_shows_name_and_email_above_the_run_bar(
    browser, live_server, member, instance, developer_token
):
    share = save_demo_function(instance, developer_token, "shareDataset")
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 700})
    page = context.new_page()
    log_in(page, "member", "member-password")
    page.goto(f"/functions/{share.pk}/run/")
    recipients = page.get_by_role("list", name="recipients")
    page.get_by_role("button", name="Add a person").click()
    chip = recipients.locator(".chip-input").nth(1)
    expect(chip).to_be_focused()

    chip.press_sequentially("grace")
    options = page.get_by_role("listbox", name="Suggestions")
    expect(options).to_be_visible()
    bar_top = page.locator(".run-bar").bounding_box()["y"]
    assert options.bounding_box()["y"] + options.bounding_box()["height"] <= bar_top + 1
    chip.press("ArrowDown")
    chip.press("Enter")

    named = page.locator(f"#{chip.get_attribute('id')}-named")
    expect(named).to_have_text("Grace Hopper · grace@acme.example")
    item = recipients.locator(".chip-item").nth(1)
    item_box, named_box = item.bounding_box(), named.bounding_box()
    assert named_box["x"] + named_box["width"] <= item_box["x"] + item_box["width"]
    assert item_box["y"] + item_box["height"] <= page.locator(".run-bar").bounding_box()["y"]
    context.close()
