"""Functions declared in the documents people keep: an app's manifest, Domo's own exports.

Recognised, by their shape:

- an app manifest, with `packageMapping` (or `packagesMapping`, whose entries may already
  name their package, version and function);
- packageMapping entries pasted alone: a list, or one entry;
- an exported package version: `{packageId, version, code, functions: [...]}`;
- a GET-package response: `{id, name, versions: [{version, released, functions}]}`, one
  version of which is read (the newest released one unless another is chosen);
- Domo function definitions: one `{name, inputs, output}`, or a list of them.

App entries carry aliases that are matched to the function's inputs later; Domo's own
definitions are the functions' definitions already. What the document says of the package
(its `entitySubType`, whether the version is released) is kept with each function.
"""

from dataclasses import dataclass, field
from typing import Any

from codeengine_ui.domo.versions import version_key

from .definitions import DefinitionError, normalise_output, normalise_parameters

MAPPING_KEYS = ("packageMapping", "packagesMapping")
ACCEPTED = (
    "an app's manifest.json (packageMapping or packagesMapping), packageMapping entries, "
    "an exported Code Engine package version (with functions), a package as Domo's API "
    "returns it (with versions and their functions), or function definitions "
    "({name, inputs, output})"
)


@dataclass
class DocumentFunction:
    """One function found in a document: what to call it, its inputs and output, and where
    it runs when the document says so."""

    alias: str  # how the document names it: the app's alias, or the function's name
    parameters: list[dict]
    output: dict | None
    app_alias: str = ""  # set for app entries: their parameters carry aliases to map
    definition: dict | None = None  # Domo's own definition, when the document holds it
    package_id: str = ""
    version: str = ""
    function_name: str = ""
    source: str = ""
    notes: list[str] = field(default_factory=list)
    # Domo's entitySubType (such as amazon-bedrock): the function's own, else its package's.
    entity_sub_type: str = ""
    # Whether the document says the version is released (None: it does not say).
    released: bool | None = None


@dataclass(frozen=True)
class PackageVersion:
    version: str
    released: bool
    function_count: int
    lists_functions: bool  # False when the response names the version without its functions


@dataclass
class ImportDocument:
    kind: str  # what was recognised, in words
    functions: list[DocumentFunction]
    package_id: str = ""
    package_name: str = ""
    versions: list[PackageVersion] = field(default_factory=list)  # a package response's
    chosen_version: str = ""
    notes: list[str] = field(default_factory=list)  # about every function it holds
    entity_sub_type: str = ""  # the package's own

    @property
    def summary(self) -> str:
        count = len(self.functions)
        where = ""
        if self.package_name or self.package_id:
            where += f" {self.package_name or self.package_id}"
        if self.chosen_version:
            where += f", version {self.chosen_version}"
        if self.entity_sub_type:
            where += f" ({self.entity_sub_type})"
        return f"Recognised {self.kind}{where}: {count} function{'s' if count != 1 else ''}."


def read_document(document: Any, version: str = "") -> ImportDocument:
    """The functions in `document`; DefinitionError names the bad path, or lists the kinds
    of document accepted. `version` chooses one version of a package response."""
    if isinstance(document, dict) and any(key in document for key in MAPPING_KEYS):
        return _manifest(document)
    if isinstance(document, dict) and isinstance(document.get("versions"), list):
        return _package(document, version)
    if isinstance(document, dict) and isinstance(document.get("functions"), list):
        return _exported_version(document)
    if isinstance(document, dict) and ("alias" in document or "parameters" in document):
        return ImportDocument("a packageMapping entry", _app_entries([(document, "entry")]))
    if (
        isinstance(document, dict)
        and "name" in document
        and ("inputs" in document or "output" in document)
    ):
        notes: list[str] = []
        functions = _domo_functions([document], "function", notes)
        return ImportDocument("a function definition", functions, notes=notes)
    if isinstance(document, list):
        return _list(document)
    raise DefinitionError("", f"this is not a document the console reads: paste {ACCEPTED}")


def _manifest(document: dict) -> ImportDocument:
    entries, keys = [], []
    for key in MAPPING_KEYS:
        listed = document.get(key)
        if listed is None:
            continue
        if not isinstance(listed, list):
            raise DefinitionError(key, "expected a list of entries")
        keys.append(key)
        entries += [(entry, f"{key}[{index}]") for index, entry in enumerate(listed)]
    if not entries:
        named = " and ".join(keys) or MAPPING_KEYS[0]
        raise DefinitionError(
            named, "the list is empty: this manifest maps no Code Engine function"
        )
    kind = (
        "an app manifest" if "name" in document or "version" in document else ("a packageMapping")
    )
    return ImportDocument(kind, _app_entries(entries))


def _list(document: list) -> ImportDocument:
    if not document:
        raise DefinitionError("", f"the list is empty; paste {ACCEPTED}")
    if all(isinstance(item, dict) and "inputs" in item for item in document):
        notes: list[str] = []
        functions = _domo_functions(document, "functions", notes)
        return ImportDocument("function definitions", functions, notes=notes)
    entries = [(entry, f"packageMapping[{index}]") for index, entry in enumerate(document)]
    return ImportDocument("packageMapping entries", _app_entries(entries))


def _exported_version(document: dict) -> ImportDocument:
    package_id, version = _text(document.get("packageId")), _text(document.get("version"))
    notes: list[str] = []
    sub_type = entity_sub_type(document)
    functions = _domo_functions(
        document["functions"], "functions", notes, package_id, version, sub_type
    )
    if not functions:
        raise DefinitionError("functions", "the list is empty: this version has no functions")
    released = release_stated(document)
    for function in functions:
        function.released = released
    if released is False:
        notes.append(_NOT_RELEASED.format(version=version))
    return ImportDocument(
        "an exported package version",
        functions,
        package_id=package_id,
        chosen_version=version,
        notes=notes,
        entity_sub_type=sub_type,
    )


def _package(document: dict, chosen: str) -> ImportDocument:
    package_id = _text(document.get("id") or document.get("packageId"))
    entries = [
        (index, entry) for index, entry in enumerate(document["versions"])
        if isinstance(entry, dict) and _text(entry.get("version"))
    ]  # fmt: skip
    if not document["versions"]:
        raise DefinitionError("versions", "the list is empty: this package has no versions")
    if not entries:
        raise DefinitionError("versions[0]", "expected a version: an object with a version")
    versions = [
        PackageVersion(
            _text(entry["version"]),
            is_released(entry),
            len(entry["functions"]) if isinstance(entry.get("functions"), list) else 0,
            isinstance(entry.get("functions"), list),
        )
        for _, entry in entries
    ]
    released = [v.version for v in versions if v.released]
    # Shown first: the newest released version whose functions the document holds.
    readable = [v for v in versions if v.lists_functions] or versions
    default = max(readable, key=lambda v: (v.released, version_key(v.version))).version
    chosen = chosen if chosen in {v.version for v in versions} else default
    index, entry = next((i, e) for i, e in entries if _text(e["version"]) == chosen)
    if not isinstance(entry.get("functions"), list):
        listed = [v.version for v in versions if v.lists_functions]
        raise DefinitionError(
            f"versions[{index}].functions",
            f"missing: this package response lists version {chosen} without its functions"
            + (f" (it holds the functions of {', '.join(listed)})" if listed else "")
            + ". Export the version from Domo, or browse the instance",
        )
    notes: list[str] = []
    sub_type = entity_sub_type(entry) or entity_sub_type(document)
    functions = _domo_functions(
        entry["functions"], f"versions[{index}].functions", notes, package_id, chosen, sub_type
    )
    if not functions:
        raise DefinitionError(
            f"versions[{index}].functions", f"the list is empty: version {chosen} has no functions"
        )
    for function in functions:
        function.released = chosen in released
    if chosen not in released:
        notes.append(_NOT_RELEASED.format(version=chosen))
    return ImportDocument(
        "a package",
        functions,
        package_id=package_id,
        package_name=_text(document.get("name")),
        versions=versions,
        chosen_version=chosen,
        notes=notes,
        entity_sub_type=sub_type,
    )


_NOT_RELEASED = "Version {version} is not released: only released versions run from outside Domo."


def is_released(version: dict) -> bool:
    """Whether a version (an entry of a package's `versions`) is released: Domo gives a
    release time, or null; some tools write true or false."""
    return version.get("released") not in (None, False, "")


def release_stated(version: dict) -> bool | None:
    """What a version (exported, or as an instance answers) says of its release; None when
    it has neither `released` nor `releasedOn`."""
    if is_released(version) or version.get("releasedOn"):
        return True
    return False if "released" in version else None


def entity_sub_type(definition: dict) -> str:
    """Domo's entitySubType of a function, version or package ("" when it has none)."""
    return _text(definition.get("entitySubType"))[:100]


def _domo_functions(
    listed: list,
    path: str,
    notes: list[str],
    package_id: str = "",
    version: str = "",
    package_sub_type: str = "",
) -> list[DocumentFunction]:
    """The public functions listed; a note in `notes` tells of the private ones left out."""
    functions, names, private = [], set(), 0
    for index, definition in enumerate(listed):
        item_path = f"{path}[{index}]"
        if not isinstance(definition, dict):
            raise DefinitionError(item_path, "expected a function definition (an object)")
        name = _text(definition.get("name"))
        if not name:
            raise DefinitionError(f"{item_path}.name", "every function needs a name")
        if definition.get("isPrivate") is True:
            private += 1
            continue
        if name in names:
            raise DefinitionError(f"{item_path}.name", f'duplicate function "{name}"')
        names.add(name)
        functions.append(
            DocumentFunction(
                alias=name,
                parameters=normalise_parameters(
                    definition.get("inputs") or [], f"{item_path}.inputs"
                ),
                output=normalise_output(definition.get("output"), f"{item_path}.output"),
                definition=definition,
                package_id=package_id,
                version=version,
                function_name=name,
                source=item_path,
                entity_sub_type=entity_sub_type(definition) or package_sub_type,
            )
        )
    if private and functions:
        notes.append(
            f"{private} private helper function{'s' if private != 1 else ''} left out: "
            "they cannot be run from outside the package."
        )
    return functions


def _app_entries(entries_with_paths: list[tuple[Any, str]]) -> list[DocumentFunction]:
    functions, aliases = [], set()
    for entry, path in entries_with_paths:
        function = _app_function(entry, path)
        if function.alias in aliases:
            raise DefinitionError(f"{path}.alias", f'duplicate alias "{function.alias}"')
        aliases.add(function.alias)
        functions.append(function)
    return functions


def _app_function(entry: Any, path: str) -> DocumentFunction:
    if not isinstance(entry, dict):
        raise DefinitionError(path, "expected an object with an alias and parameters")
    alias = entry.get("alias") or entry.get("name")
    if not isinstance(alias, str) or not alias.strip():
        raise DefinitionError(f"{path}.alias", "every entry needs an alias")
    parameters = normalise_parameters(entry.get("parameters") or [], f"{path}.parameters")
    for parameter in parameters:
        parameter["alias"] = parameter["alias"] or parameter["name"]
    function = DocumentFunction(
        alias=alias.strip(),
        app_alias=alias.strip(),
        parameters=parameters,
        output=normalise_output(entry.get("output"), f"{path}.output"),
        source=path,
    )
    for attribute, key in (
        ("package_id", "packageId"),
        ("version", "version"),
        ("function_name", "functionName"),
    ):
        setattr(function, attribute, _text(entry.get(key)))
    if path.startswith("packagesMapping") and not function.version:
        function.notes.append("No version pinned: choose the version to run.")
    return function


def _text(value: Any) -> str:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value).strip()
    return ""
