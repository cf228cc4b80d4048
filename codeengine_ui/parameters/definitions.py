"""Parameter definitions: Domo function definitions and app packageMapping, in one shape.

Domo's own definitions describe a Variable as {name, displayName, description, type,
value|defaultValues, nullable, isList, children, entitySubType}; an app manifest's
packageMapping as {alias, type, nullable, isList, children}. Both normalise to:

    {"name", "label", "description", "type", "nullable", "is_list", "default",
     "children", "entity_sub_type"}

Normalising an already normalised definition gives it back unchanged.
"""

from typing import Any

# Canonical spelling of every type name Domo uses, keyed by its lower-case form.
KNOWN_TYPES = {
    name.lower(): name
    for name in (
        "text",
        "number",
        "decimal",
        "boolean",
        "date",
        "dateTime",
        "time",
        "duration",
        "object",
        "person",
        "dataset",
        "group",
        "account",
        "file",
        "directory",
    )
}
MAX_DEPTH = 10
MAX_PARAMETERS = 500


class DefinitionError(ValueError):
    """A definition that cannot be used; the message names the offending path."""

    def __init__(self, path: str, problem: str):
        super().__init__(f"{path}: {problem}" if path else problem)
        self.path = path


def normalise_parameters(raw: Any) -> list[dict]:
    """The normalised input parameters from a list of Variables, a Domo function definition
    ({inputs: [...]}) or a packageMapping entry ({parameters: [...]})."""
    if raw is None:
        return []
    if isinstance(raw, dict):
        for key in ("inputs", "parameters"):
            if key in raw:
                return normalise_parameters(raw[key] if raw[key] is not None else [])
        raise DefinitionError(
            "", "expected a list of parameters, or an object with 'inputs' or 'parameters'"
        )
    if not isinstance(raw, list):
        raise DefinitionError("parameters", f"expected a list, got {type(raw).__name__}")
    counter = [0]
    return _normalise_list(raw, "parameters", depth=1, counter=counter)


def normalise_output(raw: Any) -> dict | None:
    if raw is None or raw == {}:
        return None
    if not isinstance(raw, dict):
        raise DefinitionError("output", f"expected an object, got {type(raw).__name__}")
    return _normalise_variable(raw, "output", depth=1, counter=[0], name_required=False)


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
        raise DefinitionError(path, f"expected an object, got {type(raw).__name__}")
    counter[0] += 1
    if counter[0] > MAX_PARAMETERS:
        raise DefinitionError(path, f"more than {MAX_PARAMETERS} parameters")
    name = _first(raw, "name", "alias")
    if not isinstance(name, str) or not name.strip():
        if name_required:
            raise DefinitionError(f"{path}.name", "every parameter needs a name (or alias)")
        name = "output"
    type_name = raw.get("type") or "object"
    if not isinstance(type_name, str):
        raise DefinitionError(f"{path}.type", f"expected a type name, got {type_name!r}")
    type_name = KNOWN_TYPES.get(type_name.lower(), type_name)
    children_raw = raw.get("children")
    if children_raw not in (None, []) and not isinstance(children_raw, list):
        raise DefinitionError(f"{path}.children", "expected a list or null")
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
    label = _first(raw, "label", "displayName") or name
    return {
        "name": name.strip(),
        "label": str(label),
        "description": str(raw.get("description") or ""),
        "type": type_name,
        "nullable": bool(raw.get("nullable")),
        "is_list": bool(_first(raw, "is_list", "isList")),
        "default": _first(raw, "default", "value", "defaultValues"),
        "children": children,
        "entity_sub_type": _first(raw, "entity_sub_type", "entitySubType"),
    }


def _first(raw: dict, *keys: str) -> Any:
    for key in keys:
        if raw.get(key) is not None:
            return raw[key]
    return None
