"""The audit log in a browser: short values on one line at 1,280 px, cards without sideways
scrolling at 390 px, and filters that keep the address (back goes back)."""

import re

import pytest
from playwright.sync_api import expect

from codeengine_ui.access.models import AuditAction, AuditEvent

from .conftest import log_in, settled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG = "Quarterly-revenue-reconciliation-for-the-northern-european-subsidiaries"
LONG_PERSON = "analyst.0.with.a.long.username@example.com"
IPV6 = "2001:db8:85a3:1234:5678:8a2e:370:7334"


@pytest.fixture
def audit_events(admin_user, django_user_model):
    admin_user.set_password("admin-password")
    admin_user.save()
    django_user_model.objects.create_user(LONG_PERSON)
    AuditEvent.objects.all().delete()  # the users made just now
    parameters = [{"name": f"{LONG}{n}", "type": "text", "isList": False} for n in range(4)]
    rows = [
        (AuditAction.TOKEN_GRANTED, f"{LONG} service account token on Acme (••••1234)", "admin",
         "203.0.113.254", {"before": {"all_members": False, "users": [], "groups": []},
                           "after": {"all_members": True, "users": [LONG_PERSON], "groups": []}}),
        (AuditAction.FUNCTION_CHANGED, f"function {LONG} 1.2.0 on acme", LONG_PERSON, IPV6,
         {"parameters": [parameters[:1], parameters], "default_token": [None, LONG]}),
        (AuditAction.SIGN_IN_REFUSED, "user admin", "", "198.51.100.7",
         {"provider": "Okta", "subject": "00u" + "x" * 40, "emails": [LONG_PERSON], "why": LONG}),
        (AuditAction.RUNS_PRUNED, "1234 runs queued before 2026-01-01 00:00 UTC", "", None,
         {"runs": 1234, "older_than_days": 30}),
    ]  # fmt: skip
    for action, target, actor, address, details in rows:
        AuditEvent.objects.create(
            action=action, target=target, actor_name=actor, ip_address=address, details=details
        )
    AuditEvent.objects.create(
        action=AuditAction.LOGIN_FAILED,
        target="username 'root'",
        ip_address="192.0.2.10",
        repeated=7,
        details={"usernames": ["root", "admin"]},
    )


# Each single value (a time, an action, a person, an address) drawn on one line, and
# each one cut short carries its whole value in its title.
SHORT_CELLS = """
() => {
  const lines = (element) => {
    const range = document.createRange();
    range.selectNodeContents(element);
    return new Set([...range.getClientRects()].map((box) => Math.round(box.top))).size;
  };
  const found = [];
  const cells = document.querySelectorAll(
    ".audit-log td.audit-when time, .audit-log td.audit-action .truncate, "
    + ".audit-log td.audit-actor a, .audit-log td.audit-address span, "
    + ".audit-log td.audit-target span"
  );
  cells.forEach((element) => {
    const text = element.textContent.trim();
    if (lines(element) !== 1) found.push("wraps: " + text);
    const cut = element.scrollWidth > element.clientWidth + 1;
    if (cut && !(element.title || "").startsWith(text.replace(/…$/, ""))) {
      found.push("cut without its whole value: " + text);
    }
  });
  return {found, checked: cells.length};
}
"""

SIDEWAYS = """
() => {
  const found = [];
  const page = document.documentElement;
  if (page.scrollWidth > page.clientWidth) found.push("page: " + page.scrollWidth);
  document.querySelectorAll(".table-wrap").forEach((wrap) => {
    if (wrap.scrollWidth > wrap.clientWidth + 1) found.push("table: " + wrap.scrollWidth);
  });
  document.querySelectorAll(".audit-log tr").forEach((row) => {
    if (row.getBoundingClientRect().right > window.innerWidth) found.push("row beyond");
  });
  return found;
}
"""


@pytest.mark.parametrize("width", [1280, 390])
def test_short_values_never_wrap_and_nothing_scrolls_sideways(
    browser, live_server, audit_events, width
):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    log_in(page, "admin", "admin-password")

    page.goto("/audit/")
    settled(page)

    cells = page.evaluate(SHORT_CELLS)
    assert cells["found"] == [] and cells["checked"] >= 5 * 5
    assert page.evaluate(SIDEWAYS) == []
    target = page.locator(".audit-target span", has_text="service account").first
    assert target.get_attribute("title").startswith(LONG)
    if width == 390:
        first, second = (
            page.locator(".audit-log tbody tr").nth(0),
            page.locator(".audit-log tbody tr").nth(1),
        )
        assert (
            first.bounding_box()["y"] + first.bounding_box()["height"] <= second.bounding_box()["y"]
        )
    header = page.locator(".audit-log thead").bounding_box()["height"]
    assert header <= 1 if width == 390 else header > 20, "cards need no header row"
    context.close()


def test_filters_keep_the_address_and_back_goes_back(page, live_server, audit_events):
    log_in(page, "admin", "admin-password")
    page.goto("/audit/")
    settled(page)
    expect(page.locator(".audit-log tbody tr")).to_have_count(5)

    page.get_by_label("By", exact=True).fill("(system)")
    page.get_by_label("On", exact=True).fill("runs")
    page.get_by_role("button", name="Filter").click()

    expect(page).to_have_url(re.compile(r"/audit/\?actor=%28system%29&target=runs$"))
    expect(page.locator(".audit-log tbody tr")).to_have_count(1)
    expect(page.locator(".audit-details")).to_contain_text("Runs deleted: 1,234")
    page.get_by_role("link", name=LONG_PERSON).wait_for(state="detached")

    page.go_back()
    expect(page).to_have_url(re.compile(r"/audit/$"))
    expect(page.locator(".audit-log tbody tr")).to_have_count(5)

    page.get_by_role("link", name=LONG_PERSON).click()
    expect(page).to_have_url(re.compile(r"/audit/\?actor=analyst"))
    expect(page.locator(".audit-log tbody tr")).to_have_count(1)
    expect(page.get_by_label("By", exact=True)).to_have_value(LONG_PERSON)
    page.locator(".audit-raw summary").click()
    expect(page.locator(".audit-raw pre")).to_contain_text('"default_token"')
    assert page.problems == []
