"""A person input suggests the instance's people as one types; the keyboard chooses."""

import pytest
from playwright.sync_api import expect

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
