"""What a test case expects of a run, and whether a run meets it.

An expectation is a small JSON object, written by "Save as test" or in the case's JSON
editor:

    {"kind": "outcome", "status": "SUCCESS"}            the run ended so (or an expected failure)
    {"kind": "snapshot"}                                 the result equals the case's snapshot,
                                                         but for its ignored paths
    {"kind": "contains", "value": {...}}                 the result contains this JSON subset
    {"kind": "path", "path": "$.total", "equals": 3}     a JSONPath (RFC 9535) query, and one of
        "matches": "^A-", "between": [1, 9], "length": 2
    {"kind": "fits_output"}                              the result fits the declared output
    {"kind": "duration", "under_ms": 500}                the run took less than this
    {"kind": "stdout", "contains": "text"}               or "not_contains"; also "stderr"

`expectation_problems` says what is wrong with written expectations (for the editor);
`unmet` checks a finished run against them and says, for each one it fails, why, with the
value found and, for a snapshot, the structural differences.

Expectations are written by users and checked on a worker's thread, so every check is
bounded: patterns run on RE2 (`patterns`), a "contains" finds exact pieces by hash and
stops after MAX_CONTAINS_COMPARISONS, and each check has a deadline (`deadlines`).
"""

import time
from dataclasses import dataclass, field
from typing import Any

import jsonpath
import re2

from codeengine_ui.json_text import FOLD_DEPTH, one_line, same_json
from codeengine_ui.parameters.types import value_problems
from codeengine_ui.runs.comparison import Difference, json_differences

from .deadlines import TooLate, deadline
from .patterns import JSONPATH, PatternError, compiled, find_values, searched

KINDS = ("outcome", "snapshot", "contains", "path", "fits_output", "duration", "stdout", "stderr")
PATH_TESTS = ("equals", "matches", "between", "length")
SHOWN_CHARACTERS = 300
# How long one expectation may take to check, unless the caller says otherwise.
CHECK_SECONDS = 2.0
# Expectations one case may have: its checks take at most this many deadlines.
MAX_EXPECTATIONS = 50
# A "contains" value holds at most this many pieces (objects, lists and values, nested).
MAX_CONTAINS_PIECES = 10_000
# A "contains" compares a piece with a candidate item at most this many times in all.
MAX_CONTAINS_COMPARISONS = 200_000
MAX_PATH_CHARACTERS = 2000


@dataclass
class RunFacts:
    """What a run gives to check: its status, result, logs and duration."""

    status: str
    result: Any
    stdout: list
    stderr: list
    duration_ms: int | None


@dataclass
class Unmet:
    expectation: dict
    message: str
    found: str = ""
    differences: list[Difference] = field(default_factory=list)


def expectation_problems(expectations: Any) -> list[str]:
    """Why written expectations cannot be checked, one sentence each ([] when fine)."""
    if not isinstance(expectations, list):
        return ["Write the expectations as a JSON list of objects."]
    if len(expectations) > MAX_EXPECTATIONS:
        return [
            f"A case has at most {MAX_EXPECTATIONS} expectations; this one has "
            f"{len(expectations):,}."
        ]
    problems = []
    for index, expectation in enumerate(expectations):
        where = f"Expectation {index + 1}"
        if not isinstance(expectation, dict):
            problems.append(f"{where}: write it as an object with a “kind”.")
            continue
        kind = expectation.get("kind")
        if kind not in KINDS:
            problems.append(f"{where}: “kind” is one of {', '.join(KINDS)}.")
        elif kind == "contains" and "value" not in expectation:
            problems.append(f"{where}: “contains” needs the “value” to find in the result.")
        elif kind == "contains" and (pieces := _pieces(expectation["value"])) > MAX_CONTAINS_PIECES:
            problems.append(
                f"{where}: “contains” looks for {pieces:,} pieces or more; it checks up to "
                f"{MAX_CONTAINS_PIECES:,}. Split it, or compare the whole result with a snapshot."
            )
        elif kind == "path":
            problems += [f"{where}: {problem}" for problem in _path_problems(expectation)]
        elif kind == "duration" and not _is_number(expectation.get("under_ms")):
            problems.append(f"{where}: “duration” needs “under_ms”, a number.")
        elif kind in ("stdout", "stderr") and not (
            isinstance(expectation.get("contains"), str)
            or isinstance(expectation.get("not_contains"), str)
        ):
            problems.append(f"{where}: “{kind}” needs “contains” or “not_contains”, a text.")
        elif kind == "outcome" and not isinstance(expectation.get("status", "SUCCESS"), str):
            problems.append(f"{where}: “status” is a run status such as SUCCESS or FAILED.")
    return problems


def _path_problems(expectation: dict) -> list[str]:
    problems = []
    path = expectation.get("path", "")
    if not isinstance(path, str) or len(path) > MAX_PATH_CHARACTERS:
        problems.append(f"“path” is a JSONPath of up to {MAX_PATH_CHARACTERS:,} characters.")
    else:
        try:
            JSONPATH.compile(path)
        except (jsonpath.JSONPathError, RecursionError, ValueError, OverflowError) as error:
            reason = str(error).splitlines()[0] if str(error) else "it nests too deeply"
            problems.append(f"“path” is not a JSONPath ({reason}).")
    tests = [name for name in PATH_TESTS if name in expectation]
    if len(tests) != 1:
        problems.append(f"give exactly one of {', '.join(PATH_TESTS)}.")
    elif tests[0] == "matches":
        pattern = expectation["matches"]
        try:
            if not isinstance(pattern, str):
                raise PatternError("write it as a text.")
            compiled(pattern)
        except PatternError as error:
            problems.append(f"“matches” is not a regular expression the console runs: {error}")
    elif tests[0] == "between" and not (
        isinstance(expectation["between"], list)
        and len(expectation["between"]) == 2
        and all(_is_number(bound) for bound in expectation["between"])
    ):
        problems.append("“between” is two numbers: [lowest, highest].")
    elif tests[0] == "length" and not (
        isinstance(expectation["length"], int) and not isinstance(expectation["length"], bool)
    ):
        problems.append("“length” is a whole number.")
    return problems


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _pieces(value: Any) -> int:
    """How many values `value` holds, itself included (counting stops past the limit)."""
    count, pending = 0, [value]
    while pending and count <= MAX_CONTAINS_PIECES:
        item = pending.pop()
        count += 1
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return count


def unmet(
    expectations: list[dict],
    run: RunFacts,
    *,
    snapshot: Any = None,
    ignore_paths: list[str] | None = None,
    output: dict | None = None,
    seconds: float = CHECK_SECONDS,
    budget: float | None = None,
    case_seconds: float | None = None,
) -> list[Unmet]:
    """The expectations the run does not meet, each with why ([] when it passes). Each is
    given `seconds` to check; one that takes longer is unmet, saying so. With `budget`,
    all of them together may take that long, or OutOfTime is raised (to check them again
    with more time); with `case_seconds`, the checks past that time are not made, saying
    so."""
    failures = []
    started = time.monotonic()
    for expectation in expectations:
        check = _CHECKS.get(expectation.get("kind"))
        if check is None:
            failures.append(Unmet(expectation, "This expectation's kind is not known."))
            continue
        spent = time.monotonic() - started
        allowed = seconds if budget is None else min(seconds, budget - spent)
        if budget is not None and allowed <= 0:
            raise OutOfTime
        if case_seconds is not None and spent > case_seconds:
            failures.append(Unmet(expectation, f"Not checked: this case's checks took over "
                                               f"{case_seconds:g} s in all."))  # fmt: skip
            continue
        try:
            with deadline(allowed):
                failure = check(expectation, run, snapshot, ignore_paths or [], output)
        except TooLate:
            if allowed < seconds:
                raise OutOfTime from None
            failure = Unmet(
                expectation,
                f"Checking this expectation took over {seconds:g} s, so it was stopped: narrow "
                "its path, pattern or value, or ignore more of the result.",
            )
        except PatternError as error:
            failure = Unmet(expectation, f"This expectation was not checked: {error}.")
        except (jsonpath.JSONPathError, RecursionError, ValueError, TypeError) as error:
            # A query the result makes fail (nested past JSONPath's depth, a type it cannot
            # compare): this expectation is unmet, the others and other cases are checked.
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            failure = Unmet(expectation, f"This expectation could not be checked: {reason}.")
        if failure is not None:
            failures.append(failure)
    return failures


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else one_line(value)
    return text if len(text) <= SHOWN_CHARACTERS else text[:SHOWN_CHARACTERS] + "…"


def _outcome(expectation, run, snapshot, ignore_paths, output):
    wanted = expectation.get("status", "SUCCESS")
    if run.status == wanted:
        return None
    return Unmet(expectation, f"The run ended {run.status}, not {wanted}.", run.status)


def _snapshot(expectation, run, snapshot, ignore_paths, output):
    differences = [
        difference
        for difference in json_differences(snapshot, run.result)
        if not ignored(difference.path, ignore_paths)
    ]
    if not differences:
        return None
    count = len(differences)
    return Unmet(
        expectation,
        f"The result differs from the snapshot in {count} place{'s' if count != 1 else ''}.",
        differences=differences,
    )


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether a difference at `path` (like `items[3].id`) falls under an ignored pattern
    (`items[*].id`, `createdAt`, `meta`: a pattern also covers what is below it)."""
    for pattern in patterns:
        try:
            if _ignored_pattern(pattern).fullmatch(path):
                return True
        except PatternError:
            continue  # too large to compile: it ignores nothing
    return False


def _ignored_pattern(pattern: str):
    body = re2.escape(pattern.strip())
    body = body.replace(r"\[\*\]", r"\[\d+\]").replace(r"\*", r"[^.\[]*")
    return compiled(rf"(?s){body}(?:[.\[].*)?", longest=len(body) + 20)


def _contains(expectation, run, snapshot, ignore_paths, output):
    try:
        if contains(run.result, expectation.get("value")):
            return None
    except TooManyComparisons:
        return Unmet(
            expectation,
            f"Finding this value would take over {MAX_CONTAINS_COMPARISONS:,} comparisons, "
            "so it was not checked: look for fewer pieces, or point a “path” expectation "
            "at the part of the result that holds them.",
        )
    return Unmet(expectation, "The result does not contain this value.", _shown(run.result))


class OutOfTime(Exception):
    """The expectations of a case need more than the time they were given in all."""


class TooManyComparisons(Exception):
    """A "contains" spent its comparisons."""


def contains(actual: Any, wanted: Any) -> bool:
    """Whether `wanted` is a subset of `actual`: objects by key (extra keys allowed), lists
    when each wanted item is contained in some item, anything else equal. Past FOLD_DEPTH
    levels the rest is compared whole, so any depth is safe. A wanted value or object is
    looked up by hash among a list's items rather than compared with each; past
    MAX_CONTAINS_COMPARISONS comparisons it raises TooManyComparisons."""
    return _Containment().holds(actual, wanted, 0)


def _key(value: Any) -> tuple:
    """Equal keys for values that are the same JSON (1 and 1.0, or 0 and false, differ)."""
    return (value.__class__, value)


class _Containment:
    def __init__(self):
        self.comparisons = 0
        self.indexes: dict[int, _ListIndex] = {}

    def holds(self, actual: Any, wanted: Any, depth: int) -> bool:
        self.comparisons += 1
        if self.comparisons > MAX_CONTAINS_COMPARISONS:
            raise TooManyComparisons
        if depth >= FOLD_DEPTH:
            return same_json(actual, wanted)
        if isinstance(wanted, dict):
            return isinstance(actual, dict) and all(
                key in actual and self.holds(actual[key], value, depth + 1)
                for key, value in wanted.items()
            )
        if isinstance(wanted, list):
            if not isinstance(actual, list):
                return False
            index = self.indexes.get(id(actual))
            if index is None:
                index = self.indexes[id(actual)] = _ListIndex(actual)
            return all(
                any(self.holds(actual[i], piece, depth + 1) for i in index.candidates(piece))
                for piece in wanted
            )
        return same_json(actual, wanted)


# Lists this short are looked through rather than indexed.
_SHORT_LIST = 16


class _ListIndex:
    """A list's items found by hash: values by themselves, objects by each of their keys'
    values. Built a part at a time, when a piece first needs it."""

    def __init__(self, items: list):
        self.items = items
        self._values: dict[tuple, int] | None = None
        self._fields: dict[tuple, list[int]] | None = None

    def candidates(self, piece: Any) -> list[int] | range:
        """The positions of the items that may contain `piece` (all of them for a list)."""
        if len(self.items) <= _SHORT_LIST:
            return range(len(self.items))
        containers = (dict, list)
        if piece.__class__ not in containers:
            if self._values is None:
                self._values = {}
                for position, item in enumerate(self.items):
                    if item.__class__ not in containers:
                        self._values.setdefault((item.__class__, item), position)
            found = self._values.get(_key(piece))
            return [] if found is None else [found]
        if isinstance(piece, dict):
            exact = next(((k, v) for k, v in piece.items() if v.__class__ not in containers), None)
            if exact is not None:
                if self._fields is None:
                    # Loops without calls of Python functions: the deadline's clock is read
                    # at each call, and a result may have a million fields.
                    self._fields = {}
                    for position, item in enumerate(self.items):
                        if item.__class__ is dict:
                            for k, v in item.items():
                                if v.__class__ not in containers:
                                    self._fields.setdefault((k, v.__class__, v), []).append(
                                        position
                                    )
                return self._fields.get((exact[0], *_key(exact[1])), [])
        return range(len(self.items))


def _path(expectation, run, snapshot, ignore_paths, output):
    problems = _path_problems(expectation)
    if problems:
        return Unmet(expectation, f"This expectation cannot be checked: {problems[0]}")
    path = str(expectation["path"])
    found = find_values(path, run.result)
    if not found:
        return Unmet(expectation, f"Nothing in the result is at {path}.")
    value = found[0] if len(found) == 1 else found
    if "equals" in expectation:
        ok = same_json(value, expectation["equals"])
        wanted = f"equal {_shown(expectation['equals'])}"
    elif "matches" in expectation:
        ok = isinstance(value, str) and searched(expectation["matches"], value)
        wanted = f"match /{expectation['matches']}/"
    elif "between" in expectation:
        lowest, highest = expectation["between"]
        ok = _is_number(value) and lowest <= value <= highest
        wanted = f"be between {lowest} and {highest}"
    else:
        ok = isinstance(value, list | dict | str) and len(value) == expectation["length"]
        wanted = f"have length {expectation['length']}"
    if ok:
        return None
    return Unmet(expectation, f"{path} should {wanted}.", _shown(value))


def _fits_output(expectation, run, snapshot, ignore_paths, output):
    if not output:
        return None  # nothing declared: anything fits
    problems = value_problems(output, run.result, "result")
    if not problems:
        return None
    path, message = problems[0]
    return Unmet(expectation, f"The result does not fit the declared output: {path}: {message}.",
                 _shown(run.result))  # fmt: skip


def _duration(expectation, run, snapshot, ignore_paths, output):
    limit = expectation.get("under_ms")
    if run.duration_ms is not None and _is_number(limit) and run.duration_ms < limit:
        return None
    found = "unknown" if run.duration_ms is None else f"{run.duration_ms} ms"
    return Unmet(expectation, f"The run should take under {limit} ms.", found)


def _log(expectation, run, snapshot, ignore_paths, output):
    stream = expectation["kind"]
    lines = run.stdout if stream == "stdout" else run.stderr
    text = "\n".join(line if isinstance(line, str) else one_line(line) for line in lines or [])
    if isinstance(expectation.get("contains"), str):
        if expectation["contains"] in text:
            return None
        return Unmet(expectation, f"{stream} does not contain “{expectation['contains']}”.",
                     _shown(text))  # fmt: skip
    if expectation.get("not_contains", "") not in text:
        return None
    return Unmet(expectation, f"{stream} contains “{expectation['not_contains']}”.", _shown(text))


_CHECKS = {
    "outcome": _outcome,
    "snapshot": _snapshot,
    "contains": _contains,
    "path": _path,
    "fits_output": _fits_output,
    "duration": _duration,
    "stdout": _log,
    "stderr": _log,
}
