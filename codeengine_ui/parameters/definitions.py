"""Parameter definitions: Domo function definitions and app packageMapping, in one shape.

Domo's own definitions describe a Variable as {name, displayName, description, type,
value|defaultValues, nullable, isList, children, entitySubType}; an app manifest's
packageMapping as {alias, type, nullable, isList, children}. Both normalise to:

    {"name", "label", "description", "type", "nullable", "isList", "default",
     "children", "entitySubType", "alias"}

`name` is the function's input name (what inputVariables use); `alias` is the name an
app uses for it, when the parameter came from a packageMapping. Type names are compared
case-insensitively and spelled canonically; an alias real apps write (`string` for text,
`integer` for number...) becomes its type, and what was written is kept as `declaredType`.
Normalising twice changes nothing.
"""

import difflib
import json
from typing import Any

from django.utils.text import Truncator

from codeengine_ui.json_text import loads, may_hold_lone_surrogates, replace_lone_surrogates

from .types import CODE_ENGINE_TYPES, TYPE_ALIASES, canonical_type, describe

MAX_DEPTH = 10
MAX_PARAMETERS = 500
# A type name this close to a known one is a typo, not a type the console does not know.
_TYPO_SIMILARITY = 0.8


class DefinitionError(ValueError):
    """A definition that cannot be used; the message names the offending path."""

    def __init__(self, path: str, problem: str):
        super().__init__(f"{path}: {problem}" if path else problem)
        self.path = path


def parse_definition_text(text: str) -> Any:
    """The JSON in `text`, or a DefinitionError saying where it stops being JSON."""
    try:
        value = loads(text)
    except ValueError as error:
        where = f" (line {error.lineno}, column {error.colno})" if hasattr(error, "lineno") else ""
        raise DefinitionError(
            "", f"not valid JSON: {getattr(error, 'msg', error)}{where}"
        ) from None
    except RecursionError:
        raise DefinitionError("", "not valid JSON: nested too deeply") from None
    if may_hold_lone_surrogates(text) and replace_lone_surrogates(value)[1]:
        raise DefinitionError("", "not valid JSON text: it escapes half of a character")
    return value


def normalise_parameters(raw: Any, path: str = "parameters") -> list[dict]:
    """The normalised input parameters from a list of Variables, a Domo function definition
    ({inputs: [...]}) or a packageMapping entry ({parameters: [...]})."""
    if raw is None:
        return []
    if isinstance(raw, dict):
        for key in ("inputs", "parameters"):
            if key in raw:
                return normalise_parameters(raw[key], f"{path}.{key}" if path else key)
        raise DefinitionError(
            path, "expected a list of parameters, or an object with 'inputs' or 'parameters'"
        )
    if not isinstance(raw, list):
        raise DefinitionError(path, f"expected a list, got {describe(raw)}")
    return _normalise_list(raw, path, depth=1, counter=[0])


def normalise_output(raw: Any, path: str = "output") -> dict | None:
    if raw is None or raw == {}:
        return None
    if not isinstance(raw, dict):
        raise DefinitionError(path, f"expected an object, got {describe(raw)}")
    return _normalise_variable(raw, path, depth=1, counter=[0], name_required=False)


def _normalise_list(raw: list, path: str, *, depth: int, counter: list[int]) -> list[dict]:
    if depth > MAX_DEPTH:
        raise DefinitionError(path, f"nested deeper than {MAX_DEPTH} levels")
    parameters, seen = [], set()
    for index, item in enumerate(raw):
        item_path = f"{path}[{index}]"
        parameter = _normalise_variable(item, item_path, depth=depth, counter=counter)
        if parameter["name"] in seen:
            raise DefinitionError(f"{item_path}.name", f'duplicate name "{parameter["name"]}"')
        seen.add(parameter["name"])
        parameters.append(parameter)
    return parameters


def _normalise_variable(
    raw: Any, path: str, *, depth: int, counter: list[int], name_required: bool = True
) -> dict:
    if not isinstance(raw, dict):
        raise DefinitionError(path, f"expected an object, got {describe(raw)}")
    counter[0] += 1
    if counter[0] > MAX_PARAMETERS:
        raise DefinitionError(path, f"more than {MAX_PARAMETERS} parameters")
    name = _text(raw, path, "name") or _text(raw, path, "alias")
    if not name:
        if name_required:
            raise DefinitionError(f"{path}.name", "every parameter needs a name (or alias)")
        name = "output"
    type_name, declared_type = _type_name(raw, path)
    children_raw = raw.get("children")
    if children_raw is not None and not isinstance(children_raw, list):
        raise DefinitionError(
            f"{path}.children", f"expected a list or null, got {describe(children_raw)}"
        )
    if children_raw and type_name != "object":
        raise DefinitionError(
            f"{path}.children",
            f'a "{type_name}" parameter cannot have children; only object parameters can',
        )
    children = (
        _normalise_list(children_raw, f"{path}.children", depth=depth + 1, counter=counter)
        if children_raw
        else []
    )
    entity_sub_type = _first(raw, "entitySubType", "entity_sub_type")
    return {
        "name": name,
        "label": _text(raw, path, "label") or _text(raw, path, "displayName") or name,
        "description": _text(raw, path, "description"),
        "type": type_name,
        "nullable": _flag(raw, path, "nullable"),
        "isList": _flag(raw, path, "isList", "is_list"),
        "default": _first(raw, "default", "value", "defaultValues"),
        "children": children,
        "entitySubType": entity_sub_type if isinstance(entity_sub_type, str) else None,
        "alias": _text(raw, path, "alias") or None,
        "declaredType": declared_type,
    }


def _type_name(raw: dict, path: str) -> tuple[str, str | None]:
    """(the type, as Code Engine spells it; the name declared, when it was an alias)."""
    type_name = raw.get("type")
    if type_name is None:
        raise DefinitionError(f"{path}.type", "missing; every parameter needs a type")
    if not isinstance(type_name, str) or not type_name.strip():
        raise DefinitionError(f"{path}.type", f"expected a type name, got {_show(type_name)}")
    type_name = type_name.strip()
    declared = raw.get("declaredType")
    declared = declared.strip() if isinstance(declared, str) and declared.strip() else None
    known = canonical_type(type_name)
    if known:
        is_alias = type_name.lower() in TYPE_ALIASES and type_name.lower() != known.lower()
        return known, declared or (type_name if is_alias else None)
    names = [*CODE_ENGINE_TYPES, *TYPE_ALIASES]
    close = difflib.get_close_matches(type_name.lower(), names, n=1, cutoff=_TYPO_SIMILARITY)
    if close:
        spelled = CODE_ENGINE_TYPES.get(close[0], close[0])
        raise DefinitionError(
            f"{path}.type", f'unknown value "{type_name}" (did you mean "{spelled}"?)'
        )
    return type_name, declared  # a type the console does not know: entered as JSON, with a note


def _text(raw: dict, path: str, key: str) -> str:
    value = raw.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise DefinitionError(f"{path}.{key}", f"expected text, got {describe(value)}")
    return value.strip()


def _flag(raw: dict, path: str, *keys: str) -> bool:
    for key in keys:
        value = raw.get(key)
        if value is None:
            continue
        if not isinstance(value, bool):
            raise DefinitionError(f"{path}.{key}", f"expected true or false, got {_show(value)}")
        return value
    return False


def _first(raw: dict, *keys: str) -> Any:
    for key in keys:
        if raw.get(key) is not None:
            return raw[key]
    return None


def _show(value: Any) -> str:
    shown = json.dumps(value, default=repr, ensure_ascii=False)
    return Truncator(shown).chars(40)


def walk(parameters: list[dict]):
    """Every parameter, children included, depth first."""
    for parameter in parameters:
        yield parameter
        yield from walk(parameter["children"])
