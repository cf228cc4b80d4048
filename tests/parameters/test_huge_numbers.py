"""Numbers too long for any parser are refused at their field, never with a 500."""

import json

import pytest

from codeengine_ui.catalog.models import InputPreset
from codeengine_ui.runs.models import Execution
from tests.conftest import save_demo_function
from tests.runs.conftest import run_form_data

FIVE_THOUSAND_DIGITS = "9" * 5000
MILLION_DIGIT_DECIMAL = "0." + "1" * 1_100_000


@pytest.fixture
def add(instance, developer_token):
    return save_demo_function(instance, developer_token, "addNumbers")


@pytest.fixture
def average(instance, developer_token):
    return save_demo_function(instance, developer_token, "averageOf")


def _post(client, function, data):
    action = "editor" if "editor_action" in data else "run"
    response = client.post(f"/functions/{function.pk}/{action}/", data)
    assert response.status_code == 200, "refused at the form, not queued and not a 500"
    return response.content.decode()


def test_a_whole_number_with_five_thousand_digits_is_a_field_error(
    member_client, add, developer_token
):
    data = run_form_data(add, developer_token, {"a": FIVE_THOUSAND_DIGITS, "b": "1"})

    html = _post(member_client, add, data)

    assert "This number is 5,000 characters long; no JSON number can carry it." in html
    assert not Execution.objects.exists()


def test_a_decimal_with_a_million_digits_is_a_field_error(member_client, average, developer_token):
    data = run_form_data(average, developer_token, {"values.count": "1", "roundTo": ""})
    data["in.0.0"] = MILLION_DIGIT_DECIMAL

    html = _post(member_client, average, data)

    assert "This number is 1,100,002 characters long; no JSON number can carry it." in html
    assert not Execution.objects.exists()


@pytest.mark.parametrize(
    "number",
    [FIVE_THOUSAND_DIGITS, "-" + FIVE_THOUSAND_DIGITS, MILLION_DIGIT_DECIMAL, "1e999999999"],
)
def test_the_json_tab_refuses_numbers_no_parser_keeps(member_client, add, developer_token, number):
    data = run_form_data(add, developer_token, {})
    data.update(editor_mode="json", inputs_json=f'{{"a": {number}, "b": 1}}')

    html = _post(member_client, add, data)

    assert "no JSON number can carry it" in html or "too large for a JSON number" in html
    assert not Execution.objects.exists()


def test_switching_to_the_form_with_a_huge_number_reports_it(client, viewer, add):
    client.force_login(viewer)
    data = {
        "editor_action": "mode:form",
        "editor_mode": "json",
        "inputs_json": f'{{"a": {FIVE_THOUSAND_DIGITS}, "b": 1}}',
    }

    html = _post(client, add, data)

    assert "This number is 5,000 characters long" in html


def test_editor_actions_and_counts_with_huge_numbers_are_ignored(client, viewer, average):
    client.force_login(viewer)
    for data in (
        {"in.0.count": FIVE_THOUSAND_DIGITS, "editor_action": "list:add:in.0"},
        {"in.0.count": "1", "in.0.0": "2", "editor_action": f"list:remove:in.0:{'9' * 5000}"},
        {"in.0.count": "²", "editor_action": "list:up:in.0:²"},
    ):
        _post(client, average, data)


def test_a_preset_with_a_huge_number_is_refused_at_its_field(member_client, add):
    preset = InputPreset.objects.create(function=add, name="p", input_variables={"a": 1, "b": 2})

    response = member_client.post(
        f"/presets/{preset.pk}/",
        {"name": "p", "inputs_json": f'{{"a": {FIVE_THOUSAND_DIGITS}, "b": 2}}'},
    )

    assert response.status_code == 200
    assert "This number is 5,000 characters long" in response.content.decode()
    preset.refresh_from_db()
    assert preset.input_variables == {"a": 1, "b": 2}


def test_numbers_a_json_number_can_carry_still_pass(member_client, add, developer_token):
    data = run_form_data(add, developer_token, {})
    data.update(editor_mode="json", inputs_json=json.dumps({"a": 10**300, "b": -(10**300)}))

    response = member_client.post(f"/functions/{add.pk}/run/", data)

    assert response.status_code == 302
    assert Execution.objects.get().input_variables == {"a": 10**300, "b": -(10**300)}


def test_a_whole_number_past_a_double_is_a_decimal_sent_with_every_digit(api_json, average):
    digits = "1" + "0" * 400  # past any double: no float can hold it
    body = f'{{"function": {average.pk}, "inputs": {{"values": [{digits}]}}}}'

    answer = api_json("/runs", body)

    assert answer.status_code == 201, answer.content
    assert Execution.objects.get().input_variables["values"] == [int(digits)]


@pytest.fixture
def api_json(client, member):
    from codeengine_ui.access.models import ApiKey

    _key, text = ApiKey.issue(member, "numbers", "run")

    def post(path, body):
        return client.post(
            f"/api/v1{path}",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {text}",
        )

    return post
