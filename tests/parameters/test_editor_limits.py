"""The form draws a bounded number of fields, whatever list it is given and however.

A list that would take more fields than the form draws becomes one JSON field holding the
whole list, with a note at the list; the JSON tab takes lists of any length."""

import json
import time

from django.http import QueryDict

from codeengine_ui.catalog.models import InputPreset
from codeengine_ui.parameters.definitions import normalise_parameters
from codeengine_ui.parameters.editor import MAX_FORM_FIELDS, InputsEditor
from codeengine_ui.runs.models import Execution, ExecutionStatus
from tests.conftest import save_demo_function, stored_run
from tests.html_forms import submitted_fields
from tests.runs.conftest import execution_id_from, run_form_data

from .editor_helpers import render

NUMBERS = normalise_parameters([{"name": "values", "type": "number", "isList": True}])
NESTED = normalise_parameters([
    {"name": "lines", "type": "object", "isList": True, "children": [
        {"name": "sku", "type": "text"},
        {"name": "tags", "type": "text", "isList": True}]},
    {"name": "note", "type": "text"},
])  # fmt: skip


def _from_json_tab(parameters, values: dict) -> InputsEditor:
    data = QueryDict(mutable=True)
    data.update({"editor_mode": "json", "inputs_json": json.dumps(values)})
    editor = InputsEditor(parameters, data)
    editor.perform("mode:form")
    return editor


def _field_count(editor: InputsEditor) -> int:
    return sum(1 for _ in editor.all_nodes())


def test_ten_thousand_items_become_one_json_field_with_a_note_at_the_list():
    values = {"values": list(range(10_000))}
    started = time.process_time()

    editor = _from_json_tab(NUMBERS, values)
    html = render(editor)

    assert time.process_time() - started < 1.0
    assert len(html) < 200_000
    [node] = editor.nodes
    assert node.as_json
    assert "This list has 10,000 items; the form shows up to 1,000 fields" in html
    again = InputsEditor(NUMBERS, submitted_fields(html))
    assert again.is_valid()
    assert again.input_variables() == values


def test_a_list_that_fits_is_still_drawn_item_by_item():
    editor = _from_json_tab(NUMBERS, {"values": list(range(500))})

    assert not editor.nodes[0].as_json
    assert len(editor.nodes[0].children) == 500


def test_nested_lists_share_one_budget():
    values = {
        "lines": [{"sku": f"S{n}", "tags": ["t"] * 1000} for n in range(100)],
        "note": "ok",
    }
    started = time.process_time()

    editor = _from_json_tab(NESTED, values)
    html = render(editor)

    assert time.process_time() - started < 2.0
    assert _field_count(editor) <= MAX_FORM_FIELDS + len(NESTED)
    assert editor.nodes[1].text == "ok"
    again = InputsEditor(NESTED, submitted_fields(html))
    assert again.is_valid(), [(n.path, n.errors) for n in again.all_nodes() if n.errors]
    assert again.input_variables() == values


def test_a_list_shown_as_json_reports_a_misfit_at_the_list():
    editor = _from_json_tab(NUMBERS, {"values": [*range(2000), "three"]})

    data = submitted_fields(render(editor))

    again = InputsEditor(NUMBERS, data)
    assert not again.is_valid()
    assert again.nodes[0].errors == [
        'values[2000]: expected a whole number (e.g. 42), got text "three"'
    ]


def test_misfits_inside_a_list_shown_as_json_are_reported_at_that_list():
    editor = _from_json_tab(NUMBERS, {"values": [*range(2000), "three"]})

    assert editor.nodes[0].errors == [
        'values[2000]: expected a whole number (e.g. 42), got text "three"'
    ]
    assert not editor.general_errors


def test_forged_counts_cannot_make_the_form_draw_more():
    data = QueryDict(mutable=True)
    data["in.0.count"] = "1000"
    for item in range(1000):
        data[f"in.0.{item}.1.count"] = "1000"
    started = time.process_time()

    editor = InputsEditor(NESTED, data)
    render(editor)

    assert time.process_time() - started < 2.0
    assert _field_count(editor) <= MAX_FORM_FIELDS + len(NESTED)
    assert not editor.is_valid()


def test_a_count_beyond_the_form_is_an_error_at_the_list():
    for count in ("5000", "9" * 5000, "²", "-1"):
        editor = InputsEditor(NUMBERS, QueryDict(mutable=True) | {"in.0.count": count})

        assert not editor.is_valid()
        assert "use the JSON tab" in editor.nodes[0].errors[0]


def test_adding_past_the_limit_is_refused_with_a_message():
    full = InputsEditor(NUMBERS, values={"values": list(range(MAX_FORM_FIELDS - 1))})
    data = submitted_fields(render(full))

    editor = InputsEditor(NUMBERS, data)
    editor.perform("list:add:in.0")

    assert len(editor.nodes[0].children) == MAX_FORM_FIELDS - 1
    assert editor.nodes[0].errors == [
        "The form shows up to 1,000 fields: add more items in the JSON tab."
    ]


def test_list_actions_ignore_indexes_that_are_not_small_numbers():
    editor = InputsEditor(NUMBERS, values={"values": [1, 2]})
    data = submitted_fields(render(editor))

    for index in ("9" * 5000, "²", "99999999999999999999999"):
        moved = InputsEditor(NUMBERS, data)
        moved.perform(f"list:remove:in.0:{index}")
        assert moved.is_valid()
        assert moved.input_variables() == {"values": [1, 2]}


def _average_of(instance, token):
    return save_demo_function(instance, token, "averageOf")


def test_a_viewer_posting_a_huge_list_to_the_form_gets_a_small_page_fast(
    client, viewer, instance, developer_token
):
    function = _average_of(instance, developer_token)
    client.force_login(viewer)
    posted = {
        "editor_action": "mode:form",
        "editor_mode": "json",
        "inputs_json": json.dumps({"values": list(range(10_000)), "roundTo": 2}),
    }
    started = time.process_time()

    response = client.post(f"/functions/{function.pk}/editor/", posted)

    assert time.process_time() - started < 1.5
    html = response.content.decode()
    assert response.status_code == 200
    assert len(html) < 300_000
    assert "This list has 10,000 items; the form shows up to 1,000 fields" in html


def test_edit_and_run_and_presets_draw_a_long_list_as_json(
    member_client, member, instance, developer_token
):
    function = _average_of(instance, developer_token)
    inputs = {"values": list(range(10_000)), "roundTo": 2}
    run = stored_run(function, developer_token, member, inputs)
    preset = InputPreset.objects.create(function=function, name="long", input_variables=inputs)

    for query in (f"from={run.pk}", f"preset={preset.pk}"):
        started = time.process_time()
        html = member_client.get(f"/functions/{function.pk}/run/?{query}").content.decode()

        assert time.process_time() - started < 1.5
        assert "This list has 10,000 items" in html
        assert submitted_fields(html)["in.0.as_json"] == "on"


def test_the_json_tab_sends_a_list_of_any_length(member_client, instance, developer_token):
    function = _average_of(instance, developer_token)
    values = [1.5] * 100_000
    data = run_form_data(function, developer_token, {})
    data.update(editor_mode="json", inputs_json=json.dumps({"values": values, "roundTo": 2}))

    response = member_client.post(f"/functions/{function.pk}/run/", data)

    execution = Execution.objects.get(pk=execution_id_from(response))
    assert execution.input_variables == {"values": values, "roundTo": 2}
    assert execution.status == ExecutionStatus.SUCCESS


def test_a_full_form_posts_fewer_fields_than_django_accepts(settings):
    moments = normalise_parameters([{"name": "when", "type": "dateTime", "isList": True}])
    values = {"when": ["2026-04-23T12:00:00Z"] * (MAX_FORM_FIELDS - 1)}
    editor = InputsEditor(moments, values=values)

    posted = submitted_fields(render(editor))

    field_count = sum(len(values) for _, values in posted.lists())
    run_options = 10  # token, getLogs, submission id, CSRF token, mode...
    assert field_count + run_options <= settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    assert not editor.nodes[0].as_json
