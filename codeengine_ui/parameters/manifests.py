"""Functions declared by an app: a manifest.json or packageMapping entries pasted alone.

Accepts a whole manifest, `{"packageMapping": [...]}` or `{"packagesMapping": [...]}`, a
list of entries, or one entry. Entries of `packagesMapping` may already name the package,
version and function they are wired to.
"""

from dataclasses import dataclass, field
from typing import Any

from .definitions import DefinitionError, normalise_output, normalise_parameters

MAPPING_KEYS = ("packageMapping", "packagesMapping")


@dataclass
class AppFunction:
    """One packageMapping entry: the app's alias for a function, and its parameters."""

    alias: str
    parameters: list[dict]
    output: dict | None
    package_id: str = ""
    version: str = ""
    function_name: str = ""
    source: str = ""
    notes: list[str] = field(default_factory=list)


def app_functions(document: Any) -> list[AppFunction]:
    """Every packageMapping entry in `document`; DefinitionError names the bad path."""
    entries_with_paths = _entries(document)
    if not entries_with_paths:
        raise DefinitionError(
            "",
            "no packageMapping found: paste a manifest.json, its packageMapping list, or "
            "one entry with an alias and parameters",
        )
    functions, aliases = [], set()
    for entry, path in entries_with_paths:
        function = _app_function(entry, path)
        if function.alias in aliases:
            raise DefinitionError(f"{path}.alias", f'duplicate alias "{function.alias}"')
        aliases.add(function.alias)
        functions.append(function)
    return functions


def _entries(document: Any) -> list[tuple[Any, str]]:
    if isinstance(document, list):
        return [(entry, f"packageMapping[{index}]") for index, entry in enumerate(document)]
    if not isinstance(document, dict):
        raise DefinitionError("", "expected a JSON object or list")
    found = []
    for key in MAPPING_KEYS:
        if key in document:
            entries = document[key]
            if entries is None:
                continue
            if not isinstance(entries, list):
                raise DefinitionError(key, "expected a list of entries")
            found += [(entry, f"{key}[{index}]") for index, entry in enumerate(entries)]
    if found or any(key in document for key in MAPPING_KEYS):
        return found
    if "parameters" in document or "alias" in document:
        return [(document, "entry")]
    return []


def _app_function(entry: Any, path: str) -> AppFunction:
    if not isinstance(entry, dict):
        raise DefinitionError(path, "expected an object with an alias and parameters")
    alias = entry.get("alias") or entry.get("name")
    if not isinstance(alias, str) or not alias.strip():
        raise DefinitionError(f"{path}.alias", "every entry needs an alias")
    parameters = normalise_parameters(entry.get("parameters") or [], f"{path}.parameters")
    for parameter in parameters:
        parameter["alias"] = parameter["alias"] or parameter["name"]
    output = normalise_output(entry.get("output"), f"{path}.output")
    function = AppFunction(
        alias=alias.strip(),
        parameters=parameters,
        output=output,
        source=path,
    )
    for attribute, key in (
        ("package_id", "packageId"),
        ("version", "version"),
        ("function_name", "functionName"),
    ):
        value = entry.get(key)
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            setattr(function, attribute, str(value).strip())
    if path.startswith("packagesMapping") and not function.version:
        function.notes.append("No version pinned: choose the version to run.")
    return function
