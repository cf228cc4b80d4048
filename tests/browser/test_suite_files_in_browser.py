"""A suite pushed from files is marked on its pages, and editing it or its cases in the
console warns that the files are the source."""

import pytest
from playwright.sync_api import expect

from codeengine_ui.access.audit import acting_as
from codeengine_ui.suites.files import apply_files, read_files
from codeengine_ui.suites.models import Case, Suite
from tests.conftest import save_demo_function

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_suite_from_git_is_marked_and_editing_it_warns(page, member, instance, developer_token):
    greet = save_demo_function(instance, developer_token, "greet")
    reference = {"instance": instance.name, "package": greet.package_id,
                 "function": "greet", "version": greet.version}  # fmt: skip
    files = {"directory": "tests", "files": [{
        "path": "tests/greet.yaml", "functions": {"greet": reference},
        "suite": {"name": "Greetings", "description": ""},
        "cases": [{"name": "greets Ada", "function": "greet",
                   "inputs": {"name": "Ada", "excited": True},
                   "expectations": [{"kind": "outcome", "status": "SUCCESS"}]}],
    }]}  # fmt: skip
    with acting_as(member):
        apply_files(read_files(files), member, commit="a1b2c3d4e5f60718")
    Suite.objects.create(name="Made by hand")
    log_in(page, "member", "member-password")

    page.goto("/suites/")
    greetings = page.locator("li", has_text="Greetings")
    expect(greetings.locator(".from-git")).to_have_text("from git: tests/greet.yaml at a1b2c3d")
    expect(page.locator("li", has_text="Made by hand").locator(".from-git")).to_have_count(0)

    greetings.get_by_role("link", name="Greetings").click()
    expect(page.get_by_role("heading", name="Greetings")).to_be_visible()
    expect(page.locator(".from-git")).to_have_text("from git: tests/greet.yaml at a1b2c3d")
    expect(page.get_by_role("note")).to_contain_text(
        "This suite comes from tests/greet.yaml at a1b2c3d: the files are the source. A change "
        "made here to its name, description or cases is overwritten by the next ce push"
    )

    page.get_by_role("link", name="greets Ada").click()
    warning = page.get_by_role("note")
    expect(warning).to_contain_text(
        "This test belongs to tests/greet.yaml at a1b2c3d (“Greetings”)"
    )
    expect(warning).to_contain_text("overwritten by the next ce push")
    assert Case.objects.get().name == "greets Ada"
    assert page.problems == []
