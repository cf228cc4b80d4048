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
from jsonpath.parse import Parser
from jsonpath.token import TOKEN_RE_FLAGS

MAX_PATTERN_CHARACTERS = 1000
MAX_PATTERN_MEMORY = 8 * 1024 * 1024
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


def search(pattern: str, text: str) -> bool:
    return compiled(pattern).search(text) is not None


def full_match(pattern: str, text: str) -> bool:
    return compiled(pattern).fullmatch(text) is not None


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

    def __call__(self, value: object, pattern: object) -> bool:
        regexp = _compiled_or_none(pattern)
        return isinstance(value, str) and regexp is not None and bool(regexp.fullmatch(value))


class _Search(_Match):
    """RFC 9535 search(): some part of the value matches the pattern."""

    def __call__(self, value: object, pattern: object) -> bool:
        regexp = _compiled_or_none(pattern)
        return isinstance(value, str) and regexp is not None and bool(regexp.search(value))


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
