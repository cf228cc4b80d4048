"""Alias matching, definition diffs and the app call body, without the web."""

from codeengine_ui.catalog.importing import definition_changes, match_aliases, output_change
from codeengine_ui.parameters.app_calls import app_call_body, app_call_snippet
from codeengine_ui.parameters.definitions import normalise_parameters


def _parameters(*specs):
    return normalise_parameters(
        [{"name": name, "type": type_name, **extra} for name, type_name, extra in specs]
    )


def test_aliases_match_by_name_then_case_then_position_then_type():
    app = _parameters(
        ("name", "text", {}),
        ("COUNT", "number", {}),
        ("when", "date", {}),
        ("flag", "boolean", {}),
        ("other", "text", {}),
    )
    inputs = _parameters(
        ("name", "text", {}),
        ("count", "number", {}),
        ("day", "date", {}),
        ("urgent", "boolean", {}),
    )

    assert match_aliases(app, inputs) == {
        "name": "name",
        "COUNT": "count",
        "when": "day",
        "flag": "urgent",
        "other": "",
    }


def test_position_match_needs_the_same_type_and_list_flag():
    app = _parameters(("tags", "text", {"isList": True}))
    inputs = _parameters(("label", "text", {}))

    assert match_aliases(app, inputs) == {"tags": ""}


def test_definition_changes_list_added_removed_and_retyped_inputs_at_any_depth():
    old = _parameters(
        ("name", "text", {}),
        ("count", "number", {}),
        ("gone", "text", {}),
        ("order", "object", {"children": [{"name": "id", "type": "text"}]}),
    )
    new = _parameters(
        ("name", "text", {"nullable": True}),
        ("count", "decimal", {}),
        ("added", "date", {}),
        ("order", "object", {"children": [{"name": "id", "type": "text", "isList": True}]}),
    )

    changes = [(c.kind, c.path, c.detail) for c in definition_changes(old, new)]

    assert changes == [
        ("retyped", "name", "text → text or null"),
        ("retyped", "count", "number → decimal"),
        ("added", "added", "date"),
        ("retyped", "order.id", "text → list of text"),
        ("removed", "gone", "text"),
    ]
    assert output_change(None, {"type": "number", "isList": False, "nullable": False}) == (
        "nothing → number"
    )


def test_app_call_body_uses_aliases_at_every_depth():
    parameters = normalise_parameters([
        {"name": "order", "alias": "theOrder", "type": "object", "children": [
            {"name": "lines", "alias": "rows", "type": "object", "isList": True,
             "children": [{"name": "sku", "alias": "code", "type": "text"}]}]},
        {"name": "note", "type": "text"},
    ])  # fmt: skip
    values = {"order": {"lines": [{"sku": "X"}]}, "note": "hi"}

    assert app_call_body(parameters, values) == {
        "theOrder": {"rows": [{"code": "X"}]},
        "note": "hi",
    }
    assert app_call_snippet("orderTotal", parameters, values).startswith(
        "domo.post('/domo/codeengine/v2/packages/orderTotal', {"
    )
