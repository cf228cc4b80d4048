"""Suites as files: the YAML format `ce pull` writes and `ce push` and `ce test` read.

One file per suite (`release-checklist.yaml`), each case's snapshot a JSON file beside it
(`release-checklist.snapshots/greet-excited.json`), and the presets of the functions the
suites test in `presets.yaml`. Every file starts with `format: codeengine-console/suites@1`
and names its functions by instance, package, function and version; cases name a function
by the key it has in the file.

Values reach the console exactly as written, whatever reads the file:
- files are read with YAML 1.2's core schema, as editors read them: `no`, `on`, `1:30`
  and `2026-12-05` stay text; only `true`/`false`, `null`/`~` and numbers are not (`0777`
  is 777, `0o17` and `0x1F` are numbers too), so text with a leading zero is quoted;
- files are written so that YAML 1.1 readers read the same: every text either schema could
  take for something else is quoted;
- text of several lines is a literal block (`|`), unless it holds characters a block would
  change (carriage returns, NEL, line and paragraph separators): then a quoted string;
- whole numbers keep every digit, decimals are written as the shortest text that reads
  back as the same double, and decimals the console keeps as text stay text;
- anchors, aliases and tags are refused: a suite file is plain data.
"""

import functools
import json
import math
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

FORMAT = "codeengine-console/suites@1"
SCHEMA_FILE = "suites-v1.schema.json"
PRESETS_FILE = "presets.yaml"
FUNCTION_KEYS = ("instance", "package", "function", "version")
CASE_KEYS = ("name", "function", "inputs", "expectations", "ignore_paths", "snapshot")


class FileProblem(ValueError):
    """A file that cannot be read as a suite file: its path, line and what is wrong."""

    def __init__(self, path: str, line: int | None, message: str):
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")
        self.path, self.line, self.message = path, line, message


def schema() -> dict:
    """The JSON Schema of the format (shipped with the command line, for editors)."""
    text = resources.files("codeengine_cli").joinpath("schema", SCHEMA_FILE).read_text("utf-8")
    return json.loads(text)


def schema_text() -> str:
    return resources.files("codeengine_cli").joinpath("schema", SCHEMA_FILE).read_text("utf-8")


# --- Writing ------------------------------------------------------------------------------

# YAML 1.2 core scalars that YAML 1.1 (PyYAML's own resolver) reads as text: written
# quoted too, so that either reads them as text.
_YAML12_NOT_TEXT = [
    (
        "tag:yaml.org,2002:int",
        re.compile(r"^[-+]?[0-9]+$|^0o[0-7]+$|^0x[0-9a-fA-F]+$"),
        "-+0123456789",
    ),
    (
        "tag:yaml.org,2002:float",
        re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$"),
        "-+.0123456789",
    ),
]
# Characters a literal block would not give back as they are.
_NOT_IN_BLOCKS = re.compile("[\r\x85\u2028\u2029]")


@functools.cache
def _yaml():
    """PyYAML (its C parts when built with them) and the file dumper: imported on first use,
    so the commands that do not read or write files start without it."""
    import yaml

    base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

    class FileDumper(base):
        pass

    for tag, pattern, first in _YAML12_NOT_TEXT:
        FileDumper.add_implicit_resolver(tag, pattern, list(first))
    FileDumper.add_representer(str, _text)
    FileDumper.add_representer(float, _number)
    return yaml, FileDumper, getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _text(dumper, value: str):
    if "\n" in value and not _NOT_IN_BLOCKS.search(value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


def _number(dumper, value: float):
    if not math.isfinite(value):
        raise ValueError(f"{value} is not a JSON number")
    text = repr(value)
    if "." not in text and "e" not in text:
        text += ".0"
    elif "." not in text:
        mantissa, _, exponent = text.partition("e")
        text = f"{mantissa}.0e{exponent}"
    return dumper.represent_scalar("tag:yaml.org,2002:float", text)


def dump(document: dict, *, schema_path: str = "") -> str:
    """A document as a suite file's text: block style, keys in the order given."""
    yaml, dumper, _loader = _yaml()
    text = yaml.dump(
        document,
        Dumper=dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1_000_000,
        indent=2,
    )
    if schema_path:
        text = f"# yaml-language-server: $schema={schema_path}\n{text}"
    return text


# --- Reading ------------------------------------------------------------------------------

_NULL = {"~", "null", "Null", "NULL", ""}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_INT = re.compile(r"[-+]?[0-9]+")
_OCTAL = re.compile(r"0o[0-7]+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_NOT_A_NUMBER = re.compile(r"[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)")
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


@dataclass
class Parsed:
    value: Any
    # The line (from 1) of each place in the document: "cases[0].inputs.name" → 12.
    lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, at: str) -> int | None:
        """The line of `at`, or of the nearest place that holds it."""
        while at:
            if at in self.lines:
                return self.lines[at]
            cut = max(at.rfind("."), at.rfind("["))
            at = at[:cut] if cut > 0 else ""
        return self.lines.get("")


def _scalar(node, path: str, where: str):
    text = node.value
    if node.style:  # quoted or a block: text, as written
        return text
    if node.tag not in (
        "tag:yaml.org,2002:str",
        "tag:yaml.org,2002:null",
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:timestamp",
        "tag:yaml.org,2002:value",
        "tag:yaml.org,2002:merge",
    ):
        raise FileProblem(
            path,
            node.start_mark.line + 1,
            f"{where}: tags ({node.tag}) are not used in suite files.",
        )
    if text in _NULL:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if _INT.fullmatch(text):
        return int(text)
    if _OCTAL.fullmatch(text):
        return int(text[2:], 8)
    if _HEX.fullmatch(text):
        return int(text[2:], 16)
    if _FLOAT.fullmatch(text):
        number = float(text)
        if not math.isfinite(number):
            raise FileProblem(
                path, node.start_mark.line + 1, f"{where}: {text} is too large for a JSON number."
            )
        return number
    if _NOT_A_NUMBER.fullmatch(text):
        raise FileProblem(path, node.start_mark.line + 1, f"{where}: {text} is not a JSON number.")
    return text


def parse(text: str, path: str = "<text>") -> Parsed:
    """A suite file's text as plain JSON values, with the line of each place in it."""
    yaml, _dumper, loader = _yaml()
    try:
        root = yaml.compose(text, Loader=loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        raise FileProblem(path, line, f"not YAML: {error.problem or error}") from None
    except yaml.YAMLError as error:
        raise FileProblem(path, None, f"not YAML: {error}") from None
    except RecursionError:
        raise FileProblem(path, None, "it nests too deeply.") from None
    parsed = Parsed(value=None)
    if root is None:
        return parsed
    seen: set[int] = set()

    def convert(node, at: str):
        if id(node) in seen:
            raise FileProblem(
                path,
                node.start_mark.line + 1,
                f"{at or 'the file'}: anchors and aliases are not used in suite files.",
            )
        seen.add(id(node))
        parsed.lines.setdefault(at, node.start_mark.line + 1)
        if isinstance(node, yaml.ScalarNode):
            return _scalar(node, path, at or "the file")
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                raise FileProblem(
                    path,
                    node.start_mark.line + 1,
                    f"{at}: tags ({node.tag}) are not used in suite files.",
                )
            return [convert(item, f"{at}[{index}]") for index, item in enumerate(node.value)]
        if node.tag != _MAP:
            raise FileProblem(
                path,
                node.start_mark.line + 1,
                f"{at}: tags ({node.tag}) are not used in suite files.",
            )
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = convert(key_node, at)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                raise FileProblem(
                    path,
                    line,
                    f"{at or 'the file'}: the key {key_node.value} is not text: quote it.",
                )
            if key in mapping:
                raise FileProblem(
                    path, line, f"{at or 'the file'}: the key {key!r} is written twice."
                )
            inner = f"{at}.{key}" if at else key
            parsed.lines[inner] = line
            mapping[key] = convert(value_node, inner)
        return mapping

    try:
        parsed.value = convert(root, "")
    except RecursionError:
        raise FileProblem(path, None, "it nests too deeply.") from None
    return parsed


def parse_json(text: str, path: str) -> Any:
    """A snapshot file: JSON as the standard has it (no NaN or Infinity)."""

    def refuse(name):
        raise ValueError(f"{name} is not a JSON value")

    def finite(literal):
        number = float(literal)
        if not math.isfinite(number):
            raise ValueError(f"the number {literal[:24]} is too large for a double")
        return number

    try:
        return json.loads(text, parse_constant=refuse, parse_float=finite)
    except RecursionError:
        raise FileProblem(path, None, "it nests too deeply.") from None
    except ValueError as error:
        line = getattr(error, "lineno", None)
        raise FileProblem(path, line, f"not JSON: {getattr(error, 'msg', error)}") from None


def snapshot_text(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"
