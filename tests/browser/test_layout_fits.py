"""Every main page fits the screen at 1,280 and 390 px, logged in as an admin, with long
names, labels, ids and messages everywhere."""

import re

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from codeengine_ui.catalog.models import Instance
from codeengine_ui.runs.models import ExecutionStatus
from tests.conftest import make_token, save_demo_function, stored_run, user_with_role

from .conftest import log_in, settled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG = "Quarterly-revenue-reconciliation-for-the-northern-european-subsidiaries"


@pytest.fixture
def long_data(admin_user, django_user_model, instance, developer_token):
    admin_user.set_password("admin-password")
    admin_user.save()
    instance.display_name = f"{LONG} production instance"
    instance.save()
    Instance.objects.create(name="acme-analytics-sandbox-environment-number-two")
    people = [
        user_with_role(django_user_model, f"analyst.{n}.with.a.long.username@example.com", "member")
        for n in range(6)
    ]
    group = Group.objects.create(name=f"{LONG} analysts")
    token = make_token(instance, f"{LONG} service account token", "a-long-token-value-1234")
    token.expires_on = timezone.localdate() + timezone.timedelta(days=3)
    token.save()
    token.granted_users.set(people)
    token.granted_groups.set([group])
    order = save_demo_function(instance, developer_token, "summariseOrder")
    order.display_name = f"{LONG} order summary"
    order.app_alias = f"{LONG}Alias"
    order.save()
    greet = save_demo_function(instance, developer_token, "greet")
    run = stored_run(
        greet,
        developer_token,
        admin_user,
        {"name": LONG * 3, "excited": True},
        status=ExecutionStatus.FAILED,
        error_message=f"{LONG} " * 8,
        result={"message": LONG * 4, "nested": {"key": [LONG] * 5}},
        stderr_log=[LONG * 5],
        stdout_log=[f"line {n}: {LONG}" for n in range(5)],
    )
    other = stored_run(greet, developer_token, people[0], {"name": "Ada"})
    return {"order": order, "greet": greet, "run": run, "other": other, "token": token}


def _pages(data) -> list[str]:
    run, other = data["run"], data["other"]
    return [
        "/",
        "/functions/",
        "/functions/?group=package",
        f"/functions/{data['order'].pk}/run/",
        f"/functions/{data['greet'].pk}/run/?run={run.pk}",
        f"/functions/{data['order'].pk}/edit/",
        "/functions/import/",
        "/executions/",
        f"/executions/{run.pk}/",
        f"/executions/compare/?a={run.pk}&b={other.pk}",
        "/tokens/",
        f"/tokens/{data['token'].pk}/",
        "/instances/",
        "/team/",
        "/audit/",
    ]


OVERFLOWS = """
() => {
  const found = [];
  const page = document.documentElement;
  if (page.scrollWidth > page.clientWidth) found.push("page: " + page.scrollWidth);
  document.querySelectorAll(".card").forEach((card) => {
    const edge = card.getBoundingClientRect().right + 1;
    const beyond = Array.from(card.querySelectorAll("*")).filter((element) => {
      const box = element.getBoundingClientRect();
      const scrolled = element.closest(".table-wrap, pre, .visually-hidden");
      return box.width > 0 && box.right > edge && !scrolled;
    });
    if (beyond.length) found.push("out of its card: " + beyond[0].outerHTML.slice(0, 80));
  });
  if (window.innerWidth >= 1000) {
    document.querySelectorAll(".table-wrap").forEach((wrap) => {
      const scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
      if (scrolls) found.push("table scrolls: " + wrap.scrollWidth + " > " + wrap.clientWidth);
    });
  }
  return found;
}
"""


@pytest.mark.parametrize("width", [1280, 390])
def test_no_main_page_overflows_sideways(browser, live_server, long_data, width):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    log_in(page, "admin", "admin-password")
    problems = {}
    for path in _pages(long_data):
        page.goto(path)
        settled(page)
        found = page.evaluate(OVERFLOWS)
        if found:
            problems[path] = found
    context.close()
    assert problems == {}


def test_list_items_of_objects_keep_room_for_their_fields_on_a_phone(
    browser, live_server, long_data
):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in(page, "admin", "admin-password")
    page.goto(f"/functions/{long_data['order'].pk}/run/")
    page.get_by_role("button", name="Add lines item").click()
    sku = page.get_by_role("group", name="lines 1").get_by_label("sku")
    sku.wait_for()
    assert sku.bounding_box()["width"] >= 250
    context.close()


def test_the_phone_menu_shows_that_more_links_wait_to_the_side(browser, live_server, long_data):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in(page, "admin", "admin-password")
    settled(page)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav).to_have_class(re.compile(r"\bmore-right\b"))
    expect(nav).not_to_have_class(re.compile(r"\bmore-left\b"))
    admin = nav.get_by_role("link", name="Admin")
    expect(admin).not_to_be_in_viewport()
    nav.evaluate("element => element.scrollTo({left: element.scrollWidth})")
    expect(nav).to_have_class(re.compile(r"\bmore-left\b"))
    expect(nav).not_to_have_class(re.compile(r"\bmore-right\b"))
    expect(admin).to_be_in_viewport()
    context.close()
