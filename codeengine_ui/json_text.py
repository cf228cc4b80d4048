"""JSON of any depth, measured and written without recursion.

Values reach the console from people and from Code Engine, nested as deep as Python's
parser allows (about 10,000 levels). `MAX_DEPTH` is what the console accepts and stores:
every database it runs on can check JSON that deep. Whatever is stored is written as
text here: indented as usual, but past `FOLD_DEPTH` levels a subtree goes on one line, so
a deep value never costs quadratic indentation; and past `MAX_DEPTH` (older data) nothing
is handed to the C encoder, whose recursion budget a deep call stack shrinks.
"""

import json
import math
import re
from typing import Any

MAX_DEPTH = 1000
FOLD_DEPTH = 32
_INDENT = "  "
_CONTAINERS = (dict, list)
# JSON may escape half of a character ("\\ud800"): Python's parser keeps it, but no page
# or database can encode it. Cheap to look for in the text before walking a value.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE_ESCAPE_BYTES = re.compile(rb"\\u[dD][89a-fA-F]")


class NotStandardJSON(ValueError):
    """Text Python's parser reads but that is not JSON, or that no database stores."""


def _refuse_constant(name: str) -> None:
    raise NotStandardJSON(f"{name} is not a JSON value")


def _finite(literal: str) -> float:
    number = float(literal)
    if not math.isfinite(number):
        raise NotStandardJSON(f"the number {literal[:24]} is too large for a double")
    return number


def loads(text: str | bytes) -> Any:
    """JSON as the standard has it. Python's parser also takes NaN and Infinity, and reads
    1e999 as infinity: neither can be stored as JSON, so they raise NotStandardJSON, as does
    a whole number longer than Python reads. Other bad text raises json.JSONDecodeError,
    and nesting deeper than Python's parser goes raises RecursionError."""
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite)
    except ValueError as error:
        if isinstance(error, json.JSONDecodeError | NotStandardJSON):
            raise
        # Past sys.get_int_max_str_digits(); Python's own message names a function to call.
        raise NotStandardJSON("a whole number has more digits than the console reads") from None


def deeper_than(value: Any, depth: int) -> bool:
    """Whether objects and lists in `value` nest more than `depth` levels ([] is 1 level)."""
    level = [value] if value.__class__ in _CONTAINERS else []
    levels = 0
    while level:
        levels += 1
        if levels > depth:
            return True
        inner: list = []
        add = inner.extend
        for container in level:
            items = container.values() if container.__class__ is dict else container
            # Exact class checks: this runs over every value of a 50 MB result.
            add([item for item in items if item.__class__ is dict or item.__class__ is list])
        level = inner
    return False


def indented(value: Any, *, python: bool = False) -> str:
    """`value` as indented JSON (or, with `python`, as a Python literal: True, False,
    None), each level two spaces deeper; subtrees past `FOLD_DEPTH` levels on one line."""
    if not python and not deeper_than(value, FOLD_DEPTH):
        return json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return "".join(_pieces(value, python))


def one_line(value: Any, *, python: bool = False) -> str:
    """`value` on one line (JSON's usual ", " and ": "), whatever its depth."""
    if not python and not deeper_than(value, MAX_DEPTH):
        return json.dumps(value, ensure_ascii=False, default=str)
    return "".join(_pieces(value, python, fold_depth=0))


_COMPACT = (",", ":")


def compact(value: Any) -> str:
    """`value` as JSON without a space after "," and ":" (a spreadsheet cell), whatever
    its depth."""
    if not deeper_than(value, MAX_DEPTH):
        return json.dumps(value, ensure_ascii=False, default=str, separators=_COMPACT)
    return "".join(_pieces(value, False, fold_depth=0, separators=_COMPACT))


def same_json(left: Any, right: Any) -> bool:
    """Whether two values are the same JSON: 1 and 1.0, or 0 and false, differ; object keys
    may come in any order."""
    pending = [(left, right)]
    while pending:
        a, b = pending.pop()
        if a.__class__ is not b.__class__:
            return False
        if a.__class__ is dict:
            if a.keys() != b.keys():
                return False
            pending.extend((a[key], b[key]) for key in a)
        elif a.__class__ is list:
            if len(a) != len(b):
                return False
            pending.extend(zip(a, b, strict=True))
        elif a != b:
            return False
    return True


class _Frame:
    __slots__ = ("closer", "depth", "first", "is_dict", "items")

    def __init__(self, container: dict | list, depth: int):
        self.is_dict = isinstance(container, dict)
        self.items = iter(container.items() if self.is_dict else container)
        self.closer = "}" if self.is_dict else "]"
        self.depth = depth
        self.first = True


def _pieces(value: Any, python: bool, fold_depth: int = FOLD_DEPTH, separators=(", ", ": ")):
    """The text of `value` in pieces, walking it with an explicit stack; `separators`
    (between items, after a key) as json.dumps takes them, for the levels on one line."""
    item_separator, key_separator = separators
    stack: list[_Frame] = []

    def start(item: Any, depth: int) -> str:
        if isinstance(item, dict | list) and item:
            stack.append(_Frame(item, depth))
            return "{" if isinstance(item, dict) else "["
        return _scalar(item, python)

    yield start(value, 0)
    while stack:
        frame = stack[-1]
        inline = frame.depth >= fold_depth
        try:
            item = next(frame.items)
        except StopIteration:
            stack.pop()
            yield frame.closer if inline else "\n" + _INDENT * frame.depth + frame.closer
            continue
        if inline:
            yield "" if frame.first else item_separator
        else:
            yield ("" if frame.first else ",") + "\n" + _INDENT * (frame.depth + 1)
        frame.first = False
        if frame.is_dict:
            key, item = item
            yield json.dumps(str(key), ensure_ascii=False) + (key_separator if inline else ": ")
        yield start(item, frame.depth + 1)


def _scalar(value: Any, python: bool) -> str:
    if python and (value is None or isinstance(value, bool)):
        return repr(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def may_hold_lone_surrogates(text: str | bytes) -> bool:
    """Whether JSON text escapes a surrogate (a pair is fine, a lone one is not)."""
    pattern = _SURROGATE_ESCAPE_BYTES if isinstance(text, bytes) else _SURROGATE_ESCAPE
    return pattern.search(text) is not None


def replace_lone_surrogates(value: Any) -> tuple[Any, bool]:
    """`value` with each lone surrogate in its text and keys replaced by U+FFFD, changed
    in place; and whether there was any."""
    found = False

    def fixed(text: str) -> str:
        nonlocal found
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            found = True
            return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        return text

    if isinstance(value, str):
        return fixed(value), found
    pending = [value] if value.__class__ in _CONTAINERS else []
    while pending:
        container = pending.pop()
        if container.__class__ is dict:
            items = [(fixed(key), item) for key, item in container.items()]
            container.clear()
            container.update(items)
            for key, item in items:
                if item.__class__ is str:
                    container[key] = fixed(item)
                elif item.__class__ in _CONTAINERS:
                    pending.append(item)
        else:
            for index, item in enumerate(container):
                if item.__class__ is str:
                    container[index] = fixed(item)
                elif item.__class__ in _CONTAINERS:
                    pending.append(item)
    return value, found


def why_not_storable(value: Any) -> str | None:
    """Why `value`, already read (from an API body, a stored draft), cannot be kept as JSON:
    nesting past MAX_DEPTH, a number that is not finite, half of a character; or None."""
    if deeper_than(value, MAX_DEPTH):
        return f"nested deeper than {MAX_DEPTH:,} levels"
    pending = [value]
    while pending:
        item = pending.pop()
        if item.__class__ is float and not math.isfinite(item):
            return f"{item} is not a JSON number"
        if item.__class__ is str:
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "the text holds half of a character (a lone surrogate), which is not text"
        elif item.__class__ is dict:
            pending.extend(item)
            pending.extend(item.values())
        elif item.__class__ is list:
            pending.extend(item)
    return None
