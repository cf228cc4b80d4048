"""Patterns and comparisons that users write are checked in bounded time, once, by a worker
beside its heartbeat: a pathological regular expression, a JSONPath filter, a huge
"contains", an expensive query; never on a page, never silencing the heartbeat."""

import threading
import time

import pytest
from django.utils import timezone

from codeengine_ui.runs.models import WorkerHeartbeat
from codeengine_ui.suites.expectations import (
    MAX_CONTAINS_PIECES,
    RunFacts,
    expectation_problems,
    ignored,
    unmet,
)
from codeengine_ui.suites.models import Case, CaseResult, Suite, SuiteRun
from tests.conftest import save_demo_function, stored_run

EVIL = "^Hello, (a+)+$"
# A check that backtracks would not end in this time, whatever the machine.
BOUND_SECONDS = 20


def _within_bound(work):
    """`work()`'s answer; the test fails if it has not ended within BOUND_SECONDS."""
    answer = {}
    thread = threading.Thread(target=lambda: answer.setdefault("value", work()), daemon=True)
    thread.start()
    thread.join(BOUND_SECONDS)
    assert not thread.is_alive(), f"still checking after {BOUND_SECONDS} s"
    return answer["value"]


def _facts(result) -> RunFacts:
    return RunFacts(status="SUCCESS", result=result, stdout=[], stderr=[], duration_ms=5)


@pytest.mark.parametrize(
    "expectation",
    [
        {"kind": "path", "path": "$.greeting", "matches": EVIL},
        {"kind": "path", "path": f"$[?match(@, '{EVIL}')]", "length": 1},
        {"kind": "path", "path": "$[?search(@, '(a+)+!$')]", "length": 10_008},
        {"kind": "path", "path": "$[?@ =~ /^Hello, (a+)+$/]", "length": 1},
    ],
    ids=["matches", "jsonpath-match", "jsonpath-search", "jsonpath-regex-literal"],
)
def test_a_backtracking_pattern_against_10000_letters_is_checked_in_linear_time(expectation):
    greeting = "Hello, " + "a" * 10_000 + "!"
    result = {"greeting": greeting} if expectation["path"] == "$.greeting" else [greeting]

    failures = _within_bound(lambda: unmet([expectation], _facts(result)))

    if "search" in expectation["path"]:
        assert failures == [], "search() finds the ending"
    else:
        [failure] = failures
        assert "took over" not in failure.message, "answered by the engine, not the deadline"


def test_patterns_re2_cannot_run_are_refused_where_they_are_written():
    problems = expectation_problems(
        [
            {"kind": "path", "path": "$.a", "matches": "(?=a)b"},
            {"kind": "path", "path": "$.a", "matches": r"(a)\1"},
            {"kind": "path", "path": "$.a", "matches": "a" * 1001},
            {"kind": "path", "path": "$[?@ =~ /(?!x)/]", "length": 1},
        ]
    )

    assert "no lookahead, lookbehind or backreferences" in problems[0]
    assert "no lookahead, lookbehind or backreferences" in problems[1]
    assert "1,001 characters long" in problems[2]
    assert "cannot be run" in problems[3]


def test_ignored_paths_made_of_stars_are_matched_in_linear_time():
    pattern = "*" * 300 + "x"
    path = "a" * 100_000

    assert _within_bound(lambda: ignored(path, [pattern])) is False


def test_a_contains_of_10000_pieces_in_100000_rows_is_found_by_hash():
    rows = [{"id": index, "label": f"row {index}"} for index in range(100_000)]
    wanted = [{"id": index} for index in range(0, 100_000, 10)]  # 10,000 pieces
    values = {"kind": "contains", "value": wanted}

    assert _within_bound(lambda: unmet([values], _facts(rows))) == []
    assert _within_bound(lambda: unmet([{"kind": "contains", "value": [99_999, "x"]}],
                                       _facts(list(range(100_000))))) != []  # fmt: skip


def test_a_contains_that_cannot_be_hashed_stops_at_its_comparisons():
    rows = [{"tags": [index]} for index in range(20_000)]
    # Nested values only: each piece is compared with the rows one by one, found last.
    wanted = [{"tags": [19_999 - index]} for index in range(100)]

    [failure] = _within_bound(lambda: unmet([{"kind": "contains", "value": wanted}], _facts(rows)))

    assert "would take over 200,000 comparisons" in failure.message


def test_a_contains_too_large_to_check_is_refused_in_the_editor():
    problems = expectation_problems(
        [{"kind": "contains", "value": list(range(MAX_CONTAINS_PIECES + 1))}]
    )

    assert "checks up to 10,000" in problems[0]


def test_each_check_has_a_deadline():
    # Unbounded, this check takes about 15 s here: far past its deadline on any machine.
    nested = [[[[index] * 8] * 8] * 8 for index in range(400)]
    expensive = {"kind": "path", "path": "$..[?@..[?@..[?@..*]]]", "length": 1}

    started = time.monotonic()
    [failure] = unmet([expensive], _facts(nested), seconds=0.5)

    assert failure.message.startswith("Checking this expectation took over 0.5 s")
    assert time.monotonic() - started < BOUND_SECONDS


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_goes_on_while_a_worker_judges_a_slow_case(
    instance, developer_token, member, worker_thread, settings
):
    """Judging takes about 3 s (three expectations stopped at their 1 s deadline); the
    worker's heartbeat, every 2 s, must not wait for it."""
    settings.EXPECTATION_CHECK_SECONDS = 1.0
    greet = save_demo_function(instance, developer_token, "greet")
    nested = [[[[index] * 8] * 8] * 8 for index in range(120)]  # about 4 s each, unbounded
    expensive = {"kind": "path", "path": "$..[?@..[?@..[?@..*]]]", "length": 1}
    case = Case.objects.create(
        function=greet, name="slow to judge", input_variables={"name": "Ada"},
        expectations=[expensive] * 3,
    )  # fmt: skip
    suite = Suite.objects.create(name="Slow")
    suite_run = SuiteRun.objects.create(suite=suite, started_by=member)
    ran = stored_run(greet, developer_token, member, status="SUCCESS", result=nested,
                     finished_at=timezone.now())  # fmt: skip
    CaseResult.objects.create(suite_run=suite_run, case=case, case_name=case.name,
                              function_name=greet.label, execution=ran)  # fmt: skip

    beats = []
    deadline = time.monotonic() + 30
    while not SuiteRun.objects.get(pk=suite_run.pk).is_finished:
        assert time.monotonic() < deadline, "the case was never judged"
        seen = WorkerHeartbeat.objects.values_list("last_seen_at", flat=True).first()
        if seen and (not beats or seen != beats[-1]):
            beats.append(seen)
        time.sleep(0.1)

    [result] = SuiteRun.objects.get(pk=suite_run.pk).results.all()
    assert result.verdict == "fail"
    assert all("took over 1 s" in unmet["message"] for unmet in result.unmet)
    assert len(beats) >= 2, "the heartbeat beat while the case was judged"


@pytest.fixture
def worker_thread(settings):
    from tests.runs.conftest import running_worker

    yield from running_worker(settings)


@pytest.mark.parametrize(
    ("result", "expectation", "said"),
    [
        ("{", {"kind": "path", "path": "$", "equals": "{"}, None),
        ("[1, 2]", {"kind": "path", "path": "$", "equals": "[1, 2]"}, None),
        ("[1, 2]", {"kind": "path", "path": "$[0]", "equals": 1}, "Nothing in the result is at"),
        ("a" * 2_000_000, {"kind": "path", "path": "$", "matches": "a[ab]{990}c"},
         "could take many seconds"),
    ],
    ids=["brace", "list-as-text", "text-is-not-a-list", "costly-search"],
)  # fmt: skip
def test_a_text_result_is_a_value_and_a_costly_search_is_refused(result, expectation, said):
    failures = _within_bound(lambda: unmet([expectation], _facts(result)))

    if said is None:
        assert failures == []
    else:
        [failure] = failures
        assert said in failure.message


def test_a_result_deeper_than_jsonpath_follows_makes_only_that_expectation_unmet():
    deep: dict = {}
    level = deep
    for _ in range(120):
        level["a"] = {}
        level = level["a"]

    failures = unmet(
        [{"kind": "path", "path": "$..a", "length": 1}, {"kind": "outcome"}], _facts(deep)
    )

    [failure] = failures
    assert failure.message.startswith("This expectation could not be checked")


def test_paths_no_parser_keeps_and_too_many_expectations_are_refused_in_the_editor():
    problems = expectation_problems(
        [{"kind": "path", "path": "$[1e999]", "length": 1},
         {"kind": "path", "path": "$[?@ < 1e999]", "length": 1}]
    )  # fmt: skip
    too_many = expectation_problems([{"kind": "outcome"}] * 51)

    assert all("is not a JSONPath" in problem for problem in problems) and len(problems) == 2
    assert too_many == ["A case has at most 50 expectations; this one has 51."]


@pytest.mark.django_db
def test_one_case_that_cannot_be_judged_does_not_hold_up_the_others(
    greet, developer_token, member, monkeypatch
):
    from codeengine_ui.suites import judging

    def judged_or_broken(case, execution, **kwargs):
        if case.name == "broken":
            raise RuntimeError("cannot judge")
        return real_verdict_of(case, execution, **kwargs)

    real_verdict_of = judging.verdict_of
    monkeypatch.setattr(judging, "verdict_of", judged_or_broken)
    runs = []
    for name in ("broken", "fine"):
        case = Case.objects.create(function=greet, name=name, input_variables={},
                                   expectations=[{"kind": "outcome"}])  # fmt: skip
        suite_run = SuiteRun.objects.create(suite=Suite.objects.create(name=name))
        ran = stored_run(greet, developer_token, member, status="SUCCESS", result="Hi",
                         finished_at=timezone.now())  # fmt: skip
        CaseResult.objects.create(suite_run=suite_run, case=case, case_name=name,
                                  function_name=greet.label, execution=ran)  # fmt: skip
        runs.append(suite_run)

    judging.judge_finished_cases()

    broken, fine = (run.results.get() for run in runs)
    assert broken.verdict == "error" and "could not be judged" in broken.unmet[0]["message"]
    assert fine.verdict == "pass"


@pytest.mark.django_db
def test_the_ignore_button_keeps_to_the_limit_of_ignored_paths(member_client, greet):
    case = Case.objects.create(function=greet, name="c", input_variables={},
                               ignore_paths=[f"p{index}" for index in range(200)])  # fmt: skip

    member_client.post(f"/tests/{case.pk}/ignore/", {"path": "one.more"})

    case.refresh_from_db()
    assert len(case.ignore_paths) == 200


@pytest.mark.django_db
def test_a_slow_case_waits_for_its_own_verdict_never_for_anyone_elses(
    greet, developer_token, member, admin_user, settings
):
    """Mallory's case needs seconds to check; the admin's answers at once. The quick lane
    judges the admin's and hands Mallory's to the slow lane, which judges it in its turn."""
    from codeengine_ui.suites.judging import judge_finished_cases, judge_slow_cases

    settings.EXPECTATION_CHECK_SECONDS = 0.6  # over the quick lane's 0.5 s for a case
    nested = [[[[index] * 8] * 8] * 8 for index in range(40)]
    expensive = {"kind": "path", "path": "$..[?@..[?@..[?@..*]]]", "length": 1}
    results = {}
    for who, expectations, result in (
        (member, [expensive] * 3, nested),
        (admin_user, [{"kind": "outcome"}], "Hello"),
    ):
        case = Case.objects.create(function=greet, name=who.username, input_variables={},
                                   expectations=expectations)  # fmt: skip
        suite_run = SuiteRun.objects.create(
            suite=Suite.objects.create(name=who.username), started_by=who
        )
        ran = stored_run(greet, developer_token, who, status="SUCCESS", result=result,
                         finished_at=timezone.now())  # fmt: skip
        results[who.username] = CaseResult.objects.create(
            suite_run=suite_run, case=case, case_name=case.name, function_name=greet.label,
            execution=ran,
        )  # fmt: skip

    judge_finished_cases()

    slow, quick = (CaseResult.objects.get(pk=results[name].pk) for name in ("member", "admin"))
    assert quick.verdict == "pass"
    assert slow.verdict == "pending" and slow.needs_time

    judge_slow_cases()

    slow.refresh_from_db()
    assert slow.verdict == "fail"
    assert all("took over 0.6 s" in unmet["message"] for unmet in slow.unmet), slow.unmet
