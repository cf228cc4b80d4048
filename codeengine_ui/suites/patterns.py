"""Patterns that users write, run in linear time: a `matches` expectation, the `match()`
and `search()` functions and `=~ /…/` literals of JSONPath filters, and ignored paths.

Python's `re` backtracks: `^Hello, (a+)+$` against 30 letters runs for minutes. RE2 never
backtracks, so a search takes time in proportion to the text, whatever the pattern; in
exchange it has no lookaround and no backreferences, which are refused with a message.
A pattern is at most MAX_PATTERN_CHARACTERS long and compiles within MAX_PATTERN_MEMORY.
"""

from functools import lru_cache

import jsonpath
import re2
from jsonpath.filter import RegexLiteral
from jsonpath.function_extensions import ExpressionType, FilterFunction
from jsonpath.match import JSONPathMatch
from jsonpath.parse import Parser
from jsonpath.token import TOKEN_RE_FLAGS

MAX_PATTERN_CHARACTERS = 1000
MAX_PATTERN_MEMORY = 8 * 1024 * 1024
# RE2's time is the text's length times, at worst, the size of the pattern's program (a
# counted repetition such as [ab]{990} makes a large one): a search whose product passes
# this is refused rather than run (about a second of work).
MAX_SEARCH_WORK = 200_000_000
# Flags a JSONPath regex literal may carry (/…/i); RE2 reads them inline. `a` (ASCII) is
# what RE2's \w and \d already mean.
_INLINE_FLAGS = {"i": "i", "m": "m", "s": "s", "a": ""}


class PatternError(ValueError):
    """A pattern that cannot be run: its message says why, for the person who wrote it."""


def _options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False
    options.max_mem = MAX_PATTERN_MEMORY
    return options


@lru_cache(maxsize=512)
def compiled(pattern: str, *, longest: int = MAX_PATTERN_CHARACTERS):
    """The pattern compiled with RE2; PatternError says why it cannot be."""
    if len(pattern) > longest:
        raise PatternError(
            f"it is {len(pattern):,} characters long; the console runs patterns of up to "
            f"{longest:,}."
        )
    try:
        return re2.compile(pattern, _options())
    except re2.error as error:
        raise PatternError(_reason(error)) from None


def _reason(error: Exception) -> str:
    detail = error.args[0] if error.args else ""
    if isinstance(detail, bytes):
        detail = detail.decode("utf-8", "replace")
    detail = str(detail)
    if "perl operator" in detail or "escape sequence: \\" in detail:
        return (
            f"{detail}. Patterns run on RE2, which has no lookahead, lookbehind or backreferences."
        )
    if "pattern too large" in detail:
        return f"{detail}: it would take too much memory; write a shorter pattern."
    return detail or "it is not a regular expression."


class TooCostly(PatternError):
    """A search that would take too long: the pattern's program is large and the text long."""


def searched(pattern: str, text: str, *, whole: bool = False) -> bool:
    """Whether the pattern is found in the text (or matches all of it, with `whole`);
    TooCostly when the search could take longer than MAX_SEARCH_WORK allows."""
    regexp = compiled(pattern)
    if len(text) * max(regexp.programsize, 1) > MAX_SEARCH_WORK:
        raise TooCostly(
            f"searching {len(text):,} characters with this pattern could take many seconds: "
            "point the path at a shorter text, or write a simpler pattern"
        )
    found = regexp.fullmatch(text) if whole else regexp.search(text)
    return found is not None


# --- JSONPath -------------------------------------------------------------------------------


def _compiled_or_none(pattern: object):
    if not isinstance(pattern, str):
        return None
    try:
        return compiled(pattern)
    except PatternError:
        return None  # RFC 9535: a bad pattern matches nothing


class _Match(FilterFunction):
    """RFC 9535 match(): the whole value matches the pattern."""

    arg_types = [ExpressionType.VALUE, ExpressionType.VALUE]
    return_type = ExpressionType.LOGICAL

    whole = True

    def __call__(self, value: object, pattern: object) -> bool:
        if not isinstance(value, str) or _compiled_or_none(pattern) is None:
            return False
        return searched(pattern, value, whole=self.whole)


class _Search(_Match):
    """RFC 9535 search(): some part of the value matches the pattern."""

    whole = False


class _Literal(RegexLiteral):
    __slots__ = ()

    def __str__(self) -> str:
        return f"/{self.value.pattern}/"


class _Parser(Parser):
    def parse_regex(self, stream):
        pattern = stream.current().value
        flags = ""
        if stream.peek().kind == TOKEN_RE_FLAGS:
            stream.next()
            flags = "".join(_INLINE_FLAGS.get(flag, "") for flag in set(stream.next().value))
        text = f"(?{flags}){pattern}" if flags else pattern
        try:
            return _Literal(value=compiled(text))
        except PatternError as error:
            raise jsonpath.JSONPathSyntaxError(
                f"the pattern /{pattern}/ cannot be run: {error}", token=stream.current()
            ) from None


class _Environment(jsonpath.JSONPathEnvironment):
    parser_class = _Parser

    def setup_function_extensions(self) -> None:
        super().setup_function_extensions()
        self.function_extensions["match"] = _Match()
        self.function_extensions["search"] = _Search()


JSONPATH = _Environment()
"""JSONPath (RFC 9535) whose every pattern runs on RE2."""


def find_values(path: str, data) -> list:
    """The values at `path` in `data`. A text is a value like any other: python-jsonpath
    would read a text given as the whole document as JSON (a run whose result is "[1, 2]"
    would hold a list), so the query starts from the value itself."""
    query = JSONPATH.compile(path)
    if not isinstance(data, str) or not isinstance(query, jsonpath.JSONPath):
        return query.findall(data)
    matches = [
        JSONPathMatch(
            filter_context={},
            obj=[data] if query.pseudo_root else data,
            parent=None,
            path=JSONPATH.root_token,
            parts=(),
            root=data,
        )
    ]
    for segment in query.segments:
        matches = segment.resolve(matches)
    return [match.obj for match in matches]
