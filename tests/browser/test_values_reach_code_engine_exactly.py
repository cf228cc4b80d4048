"""Every widget, in Chromium: the value loaded into the form, posted by the browser and sent
to Code Engine is the value loaded. Browsers change values on their own: a one-line field
drops line breaks, a textarea posts them as CRLF, time fields drop zero seconds and clear
what they cannot hold. Each load path is covered: the JSON tab switched to the form, and
"Edit and run" from a stored run."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from playwright.sync_api import expect

from codeengine_ui.catalog.importing import save_function
from codeengine_ui.demo.package import DEMO_PACKAGE_ID, LATEST_DEMO_VERSION, variable
from tests.conftest import demo_function_definition, stored_run

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INPUTS = [
    variable("csv", "text"),
    variable("sql", "text", nullable=True),
    variable("note", "text"),
    variable("when", "dateTime"),
    variable("since", "dateTime", nullable=True),
    variable("at", "time"),
    variable("day", "date"),
    variable("amount", "decimal"),
    variable("rate", "decimal"),
    variable("count", "number"),
    variable("wait", "duration"),
]

_text_piece = st.text(
    alphabet=st.sampled_from(["a", "Z", "é", "中", "🚀", ",", '"', "<", "&", " ", "\t", "\n"]),
    min_size=1,
    max_size=12,
)
texts = st.builds(
    lambda start, middle, end: start + middle + end,
    st.sampled_from(["", " ", "  ", "\t", "\n", "\n\n"]),
    _text_piece,
    st.sampled_from(["", " ", "\n", "\t "]),
).filter(lambda text: text.strip(" ") != "")
# Carriage returns a text field cannot keep: the form edits such text as a JSON string.
odd_line_breaks = st.sampled_from(["a\rb", "x\r\ny\nz", "\r"])
line_break_styles = st.sampled_from(["\n", "\r\n"])
seconds = st.integers(0, 59).map(lambda s: f"{s:02d}")
date_times = st.builds(
    lambda day, hour, minute, second, zone: f"{day}T{hour:02d}:{minute:02d}:{second}{zone}",
    st.dates().map(str),
    st.integers(0, 23),
    st.integers(0, 59),
    seconds,
    st.sampled_from(["Z", "+02:00", "-05:30"]),
)
times = st.builds(
    lambda hour, minute, second: f"{hour:02d}:{minute:02d}:{second}",
    st.integers(0, 23),
    st.integers(0, 59),
    seconds,
)
decimals = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12)
values = st.fixed_dictionaries(
    {
        "csv": st.builds(
            lambda rows, eol: eol.join(rows),
            st.lists(st.sampled_from(["id,name", "1,Ann", "2,Bob", " 3 , Cy ", ""]), min_size=2),
            line_break_styles,
        ).filter(lambda text: text.strip()),
        "sql": st.one_of(st.none(), texts, odd_line_breaks),
        "note": texts,
        "when": date_times,
        "since": st.one_of(st.none(), date_times),
        "at": times,
        "day": st.dates().map(str),
        "amount": decimals,
        "rate": st.sampled_from([0.1, 3.141592653589793, 1234567.891011, -0.000123456789]),
        "count": st.integers(-(2**53) + 1, 2**53 - 1),
        "wait": st.sampled_from(["PT1H30M", "P1D", "PT0.5S", "P1Y2M3DT4H5M6S"]),
    }
)


@pytest.fixture
def all_widgets(instance, developer_token):
    definition = {
        **demo_function_definition("describeTypes"),
        "name": "describeTypes",
        "displayName": "Every widget",
        "inputs": INPUTS,
    }
    function, _ = save_function(
        instance=instance,
        token=developer_token,
        package_id=DEMO_PACKAGE_ID,
        version=LATEST_DEMO_VERSION,
        function_name="describeTypes",
        definition=definition,
    )
    return function


def _run_and_read_sent(page, emulator) -> dict:
    received = emulator.server.emulator
    before = received.runs_received
    page.get_by_role("button", name="Run function").click()
    for _ in range(150):
        if received.runs_received > before:
            return received.runs_since(before)[-1][3]["inputVariables"]
        page.wait_for_timeout(100)
    refused = page.locator(".field-error, .form-error").all_inner_texts()
    raise AssertionError(f"the run did not reach Code Engine: {refused}")


_settings = settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@_settings
@given(loaded=values)
def test_values_from_the_json_tab_reach_code_engine_as_loaded(
    page, worker_thread, member, all_widgets, emulator, loaded
):
    if not page.url.endswith(f"/functions/{all_widgets.pk}/run/"):
        log_in(page, "member", "member-password")
        page.goto(f"/functions/{all_widgets.pk}/run/")
    page.get_by_role("button", name="JSON").click()
    page.get_by_label("inputVariables sent to Code Engine").fill(json.dumps(loaded))
    page.get_by_role("button", name="Form").click()
    expect(page.get_by_role("button", name="JSON")).to_be_visible()

    assert _run_and_read_sent(page, emulator) == loaded
    assert page.problems == []


@_settings
@given(loaded=values)
def test_values_of_a_stored_run_reach_code_engine_as_loaded_by_edit_and_run(
    page, worker_thread, member, all_widgets, developer_token, emulator, loaded
):
    earlier = stored_run(all_widgets, developer_token, member, loaded, status="SUCCESS")
    if "/accounts/login/" in page.url or page.url == "about:blank":
        log_in(page, "member", "member-password")
    page.goto(f"/executions/{earlier.pk}/")
    page.get_by_role("link", name="Edit and run").click()

    assert _run_and_read_sent(page, emulator) == loaded
    assert page.problems == []


def _field(page, name: str):
    index = next(i for i, each in enumerate(INPUTS) if each["name"] == name)
    return page.locator(f"#f-in-{index}")


def test_a_csv_typed_with_line_breaks_is_sent_with_them(
    page, worker_thread, member, all_widgets, emulator
):
    log_in(page, "member", "member-password")
    page.goto(f"/functions/{all_widgets.pk}/run/")
    field = _field(page, "csv")
    expect(field).to_have_js_property("tagName", "TEXTAREA")
    one_line = field.bounding_box()["height"]
    field.press_sequentially("id,name")
    field.press("Enter")  # a new line in the text, not a run
    field.press_sequentially("1,Ann")
    assert field.bounding_box()["height"] > one_line * 1.5  # it grew to show both lines
    _field(page, "note").fill("x")
    _field(page, "amount").fill("1.5")
    _field(page, "rate").fill("2")
    _field(page, "count").fill("3")
    _field(page, "wait").fill("PT1M")
    _field(page, "day").fill("2026-12-05")
    _field(page, "at").fill("09:30:00")
    page.locator("#f-in-3-local").fill("2026-12-05T12:00:00")
    page.locator("#f-in-3-zone").fill("UTC")

    sent = _run_and_read_sent(page, emulator)

    assert sent["csv"] == "id,name\n1,Ann"
    assert sent["at"] == "09:30:00"  # the browser posts 09:30
    assert sent["when"] == "2026-12-05T12:00:00Z"  # and 2026-12-05T12:00
