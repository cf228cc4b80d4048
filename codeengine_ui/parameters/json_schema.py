"""A function's inputs and output as JSON Schema (draft 2020-12), for the tools AI agents
call over MCP, and what in a definition would leave a language model guessing.

A schema accepts what the type rules (`types.py`) accept. Patterns, not `format`, carry
each rule, since most validators treat `format` as a hint. ECMA-262 and Python's `re` read
them alike, except that Python, as the rules do, takes other scripts' digits in a duration
and other scripts' spaces before an account's `{`. Where JSON Schema cannot say a rule
exactly, the schema is the more permissive of the two:

- a whole number written with a fraction (`1.0`) is the number 1 to JSON Schema; the
  number rule refuses it;
- text holding the null character, which the text rule refuses, is left to the rules
  rather than putting a pattern on every text input;
- what no input may hold: nesting past `json_text.MAX_DEPTH`, half of a character.

One way round: the DataSet rule takes whatever `uuid.UUID` reads in 36 characters (`urn:`
and 32 hex digits, hyphens anywhere, braces, a space at either end); the schema asks for
the canonical form.
"""

from typing import Any

from .types import ENTITY_TYPES, rule_for, value_problems

# Python's $ also matches before a final newline, ECMA-262's only at the end.
_END = r"$(?!\n)"
_MONTH_DAY = (
    r"((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)"
    r"|02-(0[1-9]|1[0-9]|2[0-8]))"
)
_LEAP_YEAR = r"([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[048]|[2468][048]|[13579][26])00)"
_DATE = rf"(?!0000)([0-9]{{4}}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
_TIME = r"([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?"
# Python reads an offset's minutes up to 99, as long as the whole offset is under a day.
_ZONE = r"(Z|[+-](([01][0-9]|2[0-2]):[0-9]{2}|23:[0-5][0-9]))"
# types.ISO_DURATION; its \d is any script's digit in Python, as in the rule.
_DURATION = r"P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?"
_HEX = "[0-9a-fA-F]"
_UUID = rf"{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}"

# The schema of one value of each type that is a single JSON type.
_SCALARS: dict[str, dict[str, str]] = {
    "text": {"type": "string"},
    "number": {"type": "integer"},
    "decimal": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date", "pattern": f"^{_DATE}{_END}"},
    "dateTime": {
        "type": "string",
        "format": "date-time",
        "pattern": f"^{_DATE}T{_TIME}{_ZONE}{_END}",
    },
    # JSON Schema's "time" format is RFC 3339's full-time, which ends in a zone offset;
    # the time rule refuses one, so the pattern alone describes it.
    "time": {"type": "string", "pattern": f"^{_TIME}{_END}"},
    "duration": {"type": "string", "format": "duration", "pattern": f"^{_DURATION}{_END}"},
    "person": {"type": "string", "pattern": f"^[0-9]+{_END}"},
    "group": {"type": "string", "pattern": f"^[0-9]+{_END}"},
    "dataset": {"type": "string", "format": "uuid", "pattern": f"^{_UUID}{_END}"},
}
_ANY_BUT_NULL = ("string", "number", "boolean", "object", "array")

# Names that say nothing of what an input is for, compared without case or punctuation.
_GENERIC_NAMES = frozenset(
    {
        "arg", "args", "argument", "arguments", "bar", "baz", "data", "foo", "info",
        "input", "inputs", "item", "items", "misc", "obj", "object", "param", "params",
        "parameter", "parameters", "payload", "stuff", "temp", "thing", "things", "tmp",
        "val", "value", "values", "var", "variable",
    }
)  # fmt: skip


def input_schema(parameters: list[dict]) -> dict:
    """The schema of a function's inputVariables, from its normalised parameters: every
    input a property, those that are not nullable required, nothing else allowed."""
    return {
        "type": "object",
        "properties": {parameter["name"]: _value_schema(parameter) for parameter in parameters},
        "required": [parameter["name"] for parameter in parameters if not parameter["nullable"]],
        "additionalProperties": False,
    }


def output_schema(output: dict | None) -> dict | None:
    """The schema of a call's structured result, `{"result": <the output>}` (MCP wants an
    object), from the normalised output; None when the function declares none."""
    if output is None:
        return None
    return {
        "type": "object",
        "properties": {"result": _value_schema(output)},
        "required": ["result"],
    }


def schema_warnings(parameters: list[dict]) -> list[str]:
    """Sentences naming what in the parameters a language model would have to guess: an
    input without a description, an object without fields, a type the console does not
    know, names that differ only in case or punctuation, a generic top-level name (a
    child is read with its parent's: `point.x`)."""
    warnings: list[str] = []
    _warn(parameters, "", warnings)
    return warnings


def _value_schema(parameter: dict) -> dict:
    element = _element_schema(parameter)
    schema = {"type": "array", "items": element} if parameter["isList"] else element
    if parameter["nullable"]:
        schema["type"] = [*_types(schema["type"]), "null"]
    annotations = {}
    if parameter["label"] != parameter["name"]:
        annotations["title"] = parameter["label"]
    if parameter["description"]:
        annotations["description"] = parameter["description"]
    schema = {**annotations, **schema}
    default = parameter["default"]
    if default is not None and not value_problems(parameter, default, parameter["name"]):
        schema["default"] = default
    return schema


def _element_schema(parameter: dict) -> dict:
    """The schema of one value of the parameter's type (of each item, for a list)."""
    rule = rule_for(parameter["type"])
    if rule is None:
        return {"type": list(_ANY_BUT_NULL)}
    if rule.name == "object":
        return _object_schema(parameter["children"])
    if rule.name in ENTITY_TYPES:
        # An id as text, or an object; minLength and pattern apply to text only.
        return {"type": ["string", "object"], "minLength": 1, "pattern": r"^(?!\s*\{)"}
    return dict(_SCALARS[rule.name])


def _object_schema(children: list[dict]) -> dict:
    """Keys that are not children are allowed, as the rules allow them."""
    schema: dict[str, Any] = {"type": "object"}
    if children:
        schema["properties"] = {child["name"]: _value_schema(child) for child in children}
        required = [child["name"] for child in children if not child["nullable"]]
        if required:
            schema["required"] = required
    return schema


def _types(type_: str | list[str]) -> list[str]:
    return [type_] if isinstance(type_, str) else type_


def _warn(parameters: list[dict], parent: str, warnings: list[str]) -> None:
    paths = [f"{parent}.{p['name']}" if parent else p["name"] for p in parameters]
    alike: dict[str, list[str]] = {}
    for parameter, path in zip(parameters, paths, strict=True):
        alike.setdefault(_bare(parameter["name"]), []).append(path)
    warnings += [
        f"{_listed(group)} differ only in case or punctuation, so a model may mix them up."
        for group in alike.values()
        if len(group) > 1
    ]
    for parameter, path in zip(parameters, paths, strict=True):
        if not parameter["description"]:
            warnings.append(f'"{path}" has no description, so a model knows it only by name.')
        if not parent and _is_generic(parameter["name"]):
            warnings.append(f'"{path}" is a generic name that does not say what it is for.')
        rule = rule_for(parameter["type"])
        if rule is None:
            warnings.append(
                f'"{path}" has a type the console does not know ("{parameter["type"]}"), '
                "so any value is allowed."
            )
        elif rule.name == "object" and not parameter["children"]:
            warnings.append(
                f'"{path}" is an object with no declared fields, so a model has to guess them.'
            )
        _warn(parameter["children"], path, warnings)


def _bare(name: str) -> str:
    return "".join(character for character in name.casefold() if character.isalnum())


def _is_generic(name: str) -> bool:
    """A single letter, a generic word, or either numbered (`x2`, `param1`)."""
    stem = _bare(name).rstrip("0123456789")
    return len(stem) <= 1 or stem in _GENERIC_NAMES


def _listed(paths: list[str]) -> str:
    quoted = [f'"{path}"' for path in paths]
    return f"{', '.join(quoted[:-1])} and {quoted[-1]}"
