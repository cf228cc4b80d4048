from codeengine_ui.runs.comparison import Difference, json_differences
from codeengine_ui.runs.models import ExecutionStatus
from tests.conftest import stored_run


def test_structural_differences_by_path():
    left = {"a": 1, "b": {"c": [1, 2, 3], "d": "x"}, "gone": True, "kind": 1}
    right = {"a": 1, "b": {"c": [1, 5], "d": "x", "e": None}, "kind": 1.0, "new": [0]}

    assert json_differences(left, right) == [
        Difference("b.c[1]", "changed", 2, 5),
        Difference("b.c[2]", "removed", left=3),
        Difference("b.e", "added", right=None),
        Difference("gone", "removed", left=True),
        Difference("kind", "changed", 1, 1.0),
        Difference("new", "added", right=[0]),
    ]


def test_scalars_and_identical_values():
    assert json_differences("a", "a") == []
    assert json_differences("a", 1) == [Difference("(value)", "changed", "a", 1)]


def _finished(function, token, user, inputs, result, **fields):
    return stored_run(
        function, token, user, inputs, status=ExecutionStatus.SUCCESS, result=result, **fields
    )


def test_compare_page_shows_input_and_result_differences(
    member_client, greet, developer_token, member
):
    left = _finished(greet, developer_token, member, {"name": "Ada"}, "Hello, Ada.")
    right = _finished(
        greet, developer_token, member, {"name": "Bob"}, "Hello, Bob.", version="1.0.0"
    )

    html = member_client.get(f"/executions/compare/?a={left.pk}&b={right.pk}").content.decode()

    assert (
        '<tr class="differs"><th scope="row">Version</th>'
        '<td class="cell-token">1.1.0</td><td class="cell-token">1.0.0</td>' in html
    )
    assert "<code>name</code>" in html and "<code>&quot;Bob&quot;</code>" in html
    assert "<code>(value)</code>" in html and "<code>&quot;Hello, Bob.&quot;</code>" in html


def test_compare_without_a_second_run_offers_others_of_the_function(
    member_client, greet, developer_token, member
):
    first = _finished(greet, developer_token, member, {"name": "Ada"}, "x")
    second = _finished(greet, developer_token, member, {"name": "Bob"}, "y")

    html = member_client.get(f"/executions/compare/?a={first.pk}").content.decode()

    assert f"?a={first.pk}&amp;b={second.pk}" in html
    assert member_client.get("/executions/compare/").status_code == 404
