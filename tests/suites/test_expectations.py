"""Every kind of expectation: met, unmet, and written wrong."""

import pytest

from codeengine_ui.suites.expectations import RunFacts, expectation_problems, ignored, unmet


def _run(result=None, status="SUCCESS", stdout=(), stderr=(), duration_ms=12):
    return RunFacts(status, result, list(stdout), list(stderr), duration_ms)


ORDER = {"id": "A-1", "total": 12.5, "lines": [{"sku": "A", "qty": 2}, {"sku": "B", "qty": 1}],
         "createdAt": "2026-11-26T10:00:00Z"}  # fmt: skip


@pytest.mark.parametrize(
    ("expectation", "run"),
    [
        ({"kind": "outcome", "status": "SUCCESS"}, _run(ORDER)),
        ({"kind": "outcome", "status": "FAILED"}, _run(None, status="FAILED")),
        ({"kind": "contains", "value": {"lines": [{"sku": "B"}]}}, _run(ORDER)),
        ({"kind": "path", "path": "$.total", "equals": 12.5}, _run(ORDER)),
        ({"kind": "path", "path": "$.id", "matches": "^A-\\d+$"}, _run(ORDER)),
        ({"kind": "path", "path": "$.total", "between": [10, 20]}, _run(ORDER)),
        ({"kind": "path", "path": "$.lines", "length": 2}, _run(ORDER)),
        ({"kind": "duration", "under_ms": 50}, _run(ORDER)),
        ({"kind": "stdout", "contains": "ok"}, _run(ORDER, stdout=["all ok"])),
        ({"kind": "stderr", "not_contains": "Error"}, _run(ORDER, stderr=["warning"])),
        ({"kind": "fits_output"}, _run(ORDER)),
    ],
)
def test_met_expectations_pass(expectation, run):
    assert expectation_problems([expectation]) == []
    assert unmet([expectation], run, output={"type": "object", "isList": False}) == []


@pytest.mark.parametrize(
    ("expectation", "run", "message", "found"),
    [
        ({"kind": "outcome"}, _run(None, status="FAILED"), "ended FAILED, not SUCCESS", "FAILED"),
        ({"kind": "contains", "value": {"lines": [{"sku": "Z"}]}}, _run(ORDER),
         "does not contain", '"A-1"'),
        ({"kind": "path", "path": "$.total", "equals": 3}, _run(ORDER), "should equal 3", "12.5"),
        ({"kind": "path", "path": "$.id", "matches": "^B"}, _run(ORDER), "should match", "A-1"),
        ({"kind": "path", "path": "$.total", "between": [1, 2]}, _run(ORDER),
         "between 1 and 2", "12.5"),
        ({"kind": "path", "path": "$.lines", "length": 3}, _run(ORDER), "length 3", "sku"),
        ({"kind": "path", "path": "$.missing", "equals": 1}, _run(ORDER), "Nothing", ""),
        ({"kind": "duration", "under_ms": 5}, _run(ORDER), "under 5 ms", "12 ms"),
        ({"kind": "stdout", "contains": "done"}, _run(ORDER, stdout=["x"]),
         "does not contain", "x"),
        ({"kind": "stderr", "not_contains": "Error"}, _run(ORDER, stderr=["Error: no"]),
         "contains “Error”", "Error: no"),
        ({"kind": "fits_output"}, _run([1]), "does not fit the declared output", "[1]"),
    ],
)  # fmt: skip
def test_unmet_expectations_say_why_with_the_value_found(expectation, run, message, found):
    [failure] = unmet([expectation], run, output={"type": "object", "isList": False})
    assert message in failure.message
    assert found in failure.found


def test_a_snapshot_diff_leaves_out_ignored_paths():
    snapshot = {**ORDER, "createdAt": "2026-01-01T00:00:00Z", "lines": [{"sku": "A", "id": 7}]}
    result = {**ORDER, "lines": [{"sku": "A", "id": 9}]}
    [failure] = unmet([{"kind": "snapshot"}], _run(result), snapshot=snapshot)
    assert {d.path for d in failure.differences} == {"createdAt", "lines[0].id"}

    ignoring = ["createdAt", "lines[*].id"]
    assert (
        unmet([{"kind": "snapshot"}], _run(result), snapshot=snapshot, ignore_paths=ignoring) == []
    )


def test_ignore_patterns_cover_what_is_below_them_and_stay_within_a_key():
    assert ignored("meta.generated.at", ["meta"])
    assert ignored("items[12].id", ["items[*].id"])
    assert not ignored("metadata", ["meta"])
    assert ignored("a.b.c", ["a.*"]) is not False  # * covers one key and what is below it
    assert not ignored("items[1].name", ["items[*].id"])


@pytest.mark.parametrize(
    ("expectations", "problem"),
    [
        ({"kind": "outcome"}, "JSON list of objects"),
        (["outcome"], "an object with a “kind”"),
        ([{"kind": "guess"}], "“kind” is one of"),
        ([{"kind": "contains"}], "needs the “value”"),
        ([{"kind": "path", "path": "$..[", "equals": 1}], "not a JSONPath"),
        ([{"kind": "path", "path": "$.a"}], "exactly one of"),
        ([{"kind": "path", "path": "$.a", "matches": "("}], "not a regular expression"),
        ([{"kind": "path", "path": "$.a", "between": [1]}], "two numbers"),
        ([{"kind": "duration"}], "needs “under_ms”"),
        ([{"kind": "stdout"}], "needs “contains” or “not_contains”"),
    ],
)
def test_expectations_written_wrong_are_named(expectations, problem):
    problems = expectation_problems(expectations)
    assert problems and problem in problems[0]


def test_an_invalid_path_at_run_time_is_an_unmet_expectation_not_a_crash():
    [failure] = unmet([{"kind": "path", "path": "$..[", "equals": 1}], _run(ORDER))
    assert "cannot be checked" in failure.message


def test_deep_values_are_compared_without_crashing():
    deep = current = {}
    for _ in range(900):
        current["a"] = {}
        current = current["a"]
    assert unmet([{"kind": "contains", "value": deep}], _run(deep)) == []
    assert unmet([{"kind": "snapshot"}], _run(deep), snapshot=deep) == []
