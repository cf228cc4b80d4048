"""Suites kept as files beside a function's code (`ce pull`, `ce push`, `ce test`).

The command line reads and writes the files (YAML, with snapshots beside them); the
console sees their content as JSON, one entry per file:

    {"path": "tests/greet.yaml",
     "functions": {"greet": {"instance", "package", "function", "version"}},
     "suite": {"name", "description"},                       (absent in a presets file)
     "cases": [{"name", "function": "greet", "inputs", "expectations", "ignore_paths",
                "snapshot"}],                                (snapshot absent: none)
     "presets": [{"function": "greet", "name", "inputs"}]}

Here: the console's suites in that shape (`exported`), the files read and checked with the
rules the pages use (`read_files`), the plan that brings the console in line with them
(`make_plan`), applying it in one transaction as the person pushing (`apply_files`), and
a run of a file's cases without storing them (`run_given_cases`).

What a push manages: the suites in the files, their cases, the presets of the functions a
presets file lists, and the suites pushed earlier from a file under the same directory of
the same repository that is gone now (deleted). A case removed from every suite that held
it is deleted. A suite's source (path, repository, commit) is not content: the plan of an
unchanged push is empty, and the push still records where the suites now come from.
"""

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from codeengine_ui.access.audit import record
from codeengine_ui.access.models import AuditAction
from codeengine_ui.access.roles import Role, require_role
from codeengine_ui.catalog.models import Function, InputPreset
from codeengine_ui.json_text import same_json
from codeengine_ui.parameters.types import inputs_problems
from codeengine_ui.text_lines import not_one_line

from .expectations import expectation_problems
from .forms import MAX_IGNORED_PATH_CHARACTERS, MAX_IGNORED_PATHS
from .models import Case, Suite, SuiteRun
from .services import queue_cases, snapshot_refusal

MAX_FILES = 1000
MAX_CASES_PER_FILE = 1000
MAX_PRESETS_PER_FILE = 1000
# Cases one `ce test` request may run in all (each is a run, as a batch's input sets are).
MAX_GIVEN_CASES = 1000
FUNCTION_KEYS = ("instance", "package", "function", "version")


class FilesRefused(Exception):
    """Files that cannot be pushed or run: each error names its file and where in it."""

    def __init__(self, errors: list[dict]):
        super().__init__(f"{len(errors)} problems in the files")
        self.errors = errors


class PlanChanged(Exception):
    """The console changed between the plan shown and the push confirmed."""


@dataclass
class GivenCase:
    file: str
    at: str
    function: Function
    name: str
    inputs: dict
    expectations: list
    ignore_paths: list
    snapshot: Any


@dataclass
class GivenSuite:
    file: str
    name: str
    description: str
    cases: list[GivenCase]


@dataclass
class GivenPreset:
    file: str
    at: str
    function: Function
    name: str
    inputs: dict


@dataclass
class GivenFiles:
    directory: str
    repository: str = ""
    suites: list[GivenSuite] = field(default_factory=list)
    presets: list[GivenPreset] = field(default_factory=list)
    # The functions whose presets the files hold (all of them: one missing is deleted).
    preset_functions: dict[int, Function] = field(default_factory=dict)


# --- The console's suites as files ------------------------------------------------------


def function_reference(function: Function) -> dict:
    return {
        "instance": function.instance.name,
        "package": function.package_id,
        "function": function.function_name,
        "version": function.version,
    }


def exported(suites) -> dict:
    """The suites, their cases and the presets of the functions they test, as the command
    line writes them to files; in a stable order."""
    suites = list(suites.order_by("name").prefetch_related("cases__function__instance"))
    functions: dict[int, Function] = {}
    out = []
    for suite in suites:
        cases = sorted(
            suite.cases.all(), key=lambda c: (c.function.function_name, c.function.version, c.name)
        )
        for case in cases:
            functions[case.function_id] = case.function
        out.append(
            {
                "name": suite.name,
                "description": suite.description,
                "source": {
                    "path": suite.source_path,
                    "commit": suite.source_commit,
                    "repository": suite.source_repository,
                }
                if suite.source_path
                else None,
                "cases": [
                    {
                        "name": case.name,
                        "function": function_reference(case.function),
                        "inputs": case.input_variables,
                        "expectations": case.expectations,
                        "ignore_paths": case.ignore_paths,
                        "snapshot": case.snapshot,
                    }
                    for case in cases
                ],
            }
        )
    presets = InputPreset.objects.filter(function__in=list(functions)).order_by("name", "pk")
    return {
        "suites": out,
        "functions": [
            function_reference(function)
            for function in sorted(functions.values(), key=_function_order)
        ],
        "presets": [
            {
                "function": function_reference(functions[preset.function_id]),
                "name": preset.name,
                "inputs": preset.input_variables,
            }
            for preset in presets
        ],
    }


def _function_order(function: Function) -> tuple:
    return (function.function_name, function.version, function.instance.name, function.package_id)


# --- Reading files ------------------------------------------------------------------------


class _Reader:
    """Checks the files' content, collecting every problem with its file and place."""

    def __init__(self):
        self.errors: list[dict] = []
        self.functions: dict[tuple, Function | None] = {}
        self.stored_inputs: dict[tuple[str, int], dict[str, Any]] = {}

    def kept_as_stored(self, kind: str, function: Function, name, value) -> bool:
        """Whether these inputs are those of the stored case (or preset) of this name: they
        are not checked again, so an unchanged one pushes back unchanged even after its
        function's definition changed (its run then says the inputs no longer fit)."""
        if (kind, function.pk) not in self.stored_inputs:
            rows = (Case if kind == "case" else InputPreset).objects.filter(function=function)
            self.stored_inputs[(kind, function.pk)] = dict(
                rows.values_list("name", "input_variables")
            )
        stored = self.stored_inputs[(kind, function.pk)]
        return name in stored and same_json(stored[name], value)

    def error(self, file: str, at: str, message: str) -> None:
        self.errors.append({"file": file, "at": at, "message": message})

    def text(self, value, file: str, at: str, *, limit: int, one_line=True, empty=False):
        if not isinstance(value, str):
            self.error(file, at, "write it as text.")
            return None
        if one_line and not_one_line(value):
            self.error(file, at, "a name is one line of text, without control characters.")
            return None
        if not empty and not value.strip():
            self.error(file, at, "it is empty.")
            return None
        if len(value) > limit:
            self.error(file, at, f"at most {limit:,} characters; this is {len(value):,}.")
            return None
        return value

    def function(self, reference, file: str, at: str) -> Function | None:
        if not isinstance(reference, dict):
            self.error(file, at, "name the function by instance, package, function and version.")
            return None
        if missing := [key for key in FUNCTION_KEYS if not isinstance(reference.get(key), str)]:
            self.error(file, at, f"give {', '.join(missing)} as text.")
            return None
        if extra := sorted(set(reference) - set(FUNCTION_KEYS)):
            self.error(file, at, f"unknown keys: {', '.join(extra)}.")
            return None
        key = tuple(reference[k] for k in FUNCTION_KEYS)
        if key not in self.functions:
            self.functions[key] = (
                Function.objects.select_related("instance", "changed_by", "default_token")
                .filter(
                    instance__name=key[0], package_id=key[1], function_name=key[2], version=key[3]
                )
                .first()
            )
        found = self.functions[key]
        if found is None:
            instance, package, name, version = key
            self.error(
                file,
                at,
                f"the console has no saved function {name} {version} of package {package} on "
                f"instance {instance}: import it first (Functions → Import functions), or fix "
                "the name.",
            )
        return found

    def checked_inputs(self, kind: str, function, name, value, file: str, at: str):
        if function is None:
            return None
        if isinstance(value, dict) and self.kept_as_stored(kind, function, name, value):
            return value
        return self.inputs(function, value, file, f"{at}.inputs")

    def inputs(self, function: Function, value, file: str, at: str) -> dict | None:
        if not isinstance(value, dict):
            self.error(file, at, "write the inputs as a mapping of input names to values.")
            return None
        problems = inputs_problems(function.parameters, value)
        for path, message in problems:
            self.error(file, f"{at}.{path}", message)
        return None if problems else value

    def read(self, entry, index: int) -> tuple[str, dict[str, Function | None], dict] | None:
        if not isinstance(entry, dict):
            self.error(f"file {index + 1}", "", "each file is an object.")
            return None
        path = entry.get("path")
        if not isinstance(path, str) or not path.strip() or len(path) > 500 or not_one_line(path):
            self.error(f"file {index + 1}", "path", "give the file's path (one line, 500 at most).")
            return None
        functions = entry.get("functions") or {}
        if not isinstance(functions, dict):
            self.error(path, "functions", "a mapping of names to functions.")
            return None
        named = {
            alias: self.function(reference, path, f"functions.{alias}")
            for alias, reference in functions.items()
        }
        return path, named, entry

    def named_function(self, named: dict, alias, file: str, at: str) -> Function | None:
        if not isinstance(alias, str) or alias not in named:
            self.error(
                file,
                at,
                f"{alias!r} is not one of the file's functions ({', '.join(named) or 'none'}).",
            )
            return None
        return named[alias]

    def case(self, named: dict, entry, file: str, at: str) -> GivenCase | None:
        if not isinstance(entry, dict):
            self.error(file, at, "each case is a mapping.")
            return None
        extra = sorted(
            set(entry) - {"name", "function", "inputs", "expectations", "ignore_paths", "snapshot"}
        )
        if extra:
            self.error(file, at, f"unknown keys: {', '.join(map(str, extra))}.")
        name = self.text(entry.get("name"), file, f"{at}.name", limit=200)
        function = self.named_function(named, entry.get("function"), file, f"{at}.function")
        inputs = self.checked_inputs("case", function, name, entry.get("inputs", {}), file, at)
        expectations = entry.get("expectations", [])
        for problem in expectation_problems(expectations):
            self.error(file, f"{at}.expectations", problem)
        snapshot = entry.get("snapshot")
        if snapshot is not None and (refusal := snapshot_refusal(snapshot)):
            self.error(file, f"{at}.snapshot", refusal)
        if (
            isinstance(expectations, list)
            and any(isinstance(e, dict) and e.get("kind") == "snapshot" for e in expectations)
            and snapshot is None
        ):
            self.error(file, f"{at}.snapshot", "a snapshot expectation needs a snapshot.")
        ignore_paths = self.ignore_paths(entry.get("ignore_paths", []), file, f"{at}.ignore_paths")
        if None in (name, function, inputs, ignore_paths) or self.errors_at(file, at):
            return None
        return GivenCase(
            file=file,
            at=at,
            function=function,
            name=name,
            inputs=inputs,
            expectations=expectations,
            ignore_paths=ignore_paths,
            snapshot=snapshot,
        )

    def errors_at(self, file: str, at: str) -> bool:
        return any(
            e["file"] == file and (e["at"] == at or e["at"].startswith(f"{at}."))
            for e in self.errors
        )

    def ignore_paths(self, paths, file: str, at: str) -> list | None:
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            self.error(file, at, "a list of paths, as text.")
            return None
        if len(paths) > MAX_IGNORED_PATHS:
            self.error(file, at, f"at most {MAX_IGNORED_PATHS} paths.")
            return None
        for index, path in enumerate(paths):
            if not path.strip() or len(path) > MAX_IGNORED_PATH_CHARACTERS or not_one_line(path):
                self.error(
                    file,
                    f"{at}[{index}]",
                    f"a path is one line of 1 to {MAX_IGNORED_PATH_CHARACTERS} characters.",
                )
                return None
        return paths

    def preset(self, named: dict, entry, file: str, at: str) -> GivenPreset | None:
        if not isinstance(entry, dict):
            self.error(file, at, "each preset is a mapping.")
            return None
        if extra := sorted(set(entry) - {"name", "function", "inputs"}):
            self.error(file, at, f"unknown keys: {', '.join(map(str, extra))}.")
            return None
        name = self.text(entry.get("name"), file, f"{at}.name", limit=100)
        function = self.named_function(named, entry.get("function"), file, f"{at}.function")
        inputs = self.checked_inputs("preset", function, name, entry.get("inputs", {}), file, at)
        if None in (name, function, inputs):
            return None
        return GivenPreset(file=file, at=at, function=function, name=name, inputs=inputs)


def read_files(body: Any, *, need_suite: bool = False) -> GivenFiles:
    """The files' content checked as the pages check a case, a suite and a preset; every
    problem at once, each at its file and key (FilesRefused)."""
    reader = _Reader()
    if not isinstance(body, dict) or not isinstance(body.get("files"), list):
        raise FilesRefused([{"file": "", "at": "files", "message": 'send {"files": [...]}.'}])
    entries = body["files"]
    if len(entries) > MAX_FILES:
        raise FilesRefused([{"file": "", "at": "files", "message": f"at most {MAX_FILES} files."}])
    directory = body.get("directory", "")
    if not isinstance(directory, str) or len(directory) > 400:
        reader.error("", "directory", "the directory is a path, as text.")
        directory = ""
    repository = body.get("repository", "")
    if not isinstance(repository, str) or len(repository) > 300 or not_one_line(repository):
        reader.error("", "repository", "the repository is one line of text, 300 at most.")
        repository = ""
    given = GivenFiles(directory=directory.strip("/"), repository=repository)
    suite_files: dict[str, str] = {}
    cases_seen: dict[tuple, GivenCase] = {}
    presets_seen: dict[tuple, GivenPreset] = {}
    for index, entry in enumerate(entries):
        found = reader.read(entry, index)
        if found is None:
            continue
        path, named, entry = found
        cases = entry.get("cases") or []
        presets = entry.get("presets")
        suite = entry.get("suite")
        if suite is None and need_suite:
            reader.error(path, "suite", "name the suite the file holds.")
        if suite is None and cases:
            reader.error(path, "suite", "cases belong to a suite: name it.")
        if not isinstance(cases, list) or len(cases) > MAX_CASES_PER_FILE:
            reader.error(path, "cases", f"a list of at most {MAX_CASES_PER_FILE:,} cases.")
            cases = []
        if suite is not None:
            if not isinstance(suite, dict) or set(suite) - {"name", "description"}:
                reader.error(path, "suite", "a mapping with a name and a description.")
                continue
            name = reader.text(suite.get("name"), path, "suite.name", limit=200)
            description = reader.text(
                suite.get("description", ""),
                path,
                "suite.description",
                limit=10_000,
                one_line=False,
                empty=True,
            )
            if name is not None and (other := suite_files.get(name.lower())):
                reader.error(path, "suite.name", f"{other} already holds a suite of this name.")
            elif name is not None:
                suite_files[name.lower()] = path
            held = []
            for number, case_entry in enumerate(cases):
                case = reader.case(named, case_entry, path, f"cases[{number}]")
                if case is None:
                    continue
                key = (case.function.pk, case.name)
                if (other := cases_seen.get(key)) is not None and not _same_case(other, case):
                    where = "this file" if other.file == path else other.file
                    reader.error(
                        path,
                        f"{case.at}.name",
                        f"{where} holds another case “{case.name}” of {case.function.function_name}"
                        f" {case.function.version} ({other.at}): a case is one thing in every "
                        "suite, so the two must be the same or be named apart.",
                    )
                    continue
                if other is not None and other.file == path:
                    reader.error(
                        path, f"{case.at}.name", f"the suite lists this case twice ({other.at})."
                    )
                    continue
                cases_seen[key] = case
                held.append(case)
            if name is not None:
                given.suites.append(GivenSuite(path, name, description or "", held))
        if presets is not None:
            if not isinstance(presets, list) or len(presets) > MAX_PRESETS_PER_FILE:
                reader.error(
                    path, "presets", f"a list of at most {MAX_PRESETS_PER_FILE:,} presets."
                )
                continue
            for function in named.values():
                if function is not None:
                    given.preset_functions[function.pk] = function
            for number, preset_entry in enumerate(presets):
                preset = reader.preset(named, preset_entry, path, f"presets[{number}]")
                if preset is None:
                    continue
                key = (preset.function.pk, preset.name)
                if other := presets_seen.get(key):
                    reader.error(
                        path,
                        f"{preset.at}.name",
                        f"{other.file} ({other.at}) holds a preset of this name for this function.",
                    )
                    continue
                presets_seen[key] = preset
                given.presets.append(preset)
    if reader.errors:
        raise FilesRefused(reader.errors)
    return given


def _same_case(one: GivenCase, other: GivenCase) -> bool:
    return (
        same_json(one.inputs, other.inputs)
        and same_json(one.expectations, other.expectations)
        and one.ignore_paths == other.ignore_paths
        and same_json(one.snapshot, other.snapshot)
    )


# --- The plan -----------------------------------------------------------------------------


@dataclass
class Change:
    action: str  # create, update, delete
    kind: str  # suite, case, preset
    name: str
    file: str = ""
    details: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "action": self.action,
            "kind": self.kind,
            "name": self.name,
            "file": self.file,
            "details": self.details,
        }


@dataclass
class Plan:
    changes: list[Change]
    # Suites whose source (file, commit) the push records: [{"suite", "path", "commit"}].
    sources: list[dict]
    steps: list = field(default_factory=list, repr=False)

    @property
    def fingerprint(self) -> str:
        text = json.dumps([c.as_dict() for c in self.changes], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def as_dict(self) -> dict:
        counts = {"create": 0, "update": 0, "delete": 0}
        for change in self.changes:
            counts[change.action] += 1
        return {
            "changes": [c.as_dict() for c in self.changes],
            "counts": counts,
            "sources": self.sources,
            "fingerprint": self.fingerprint,
        }


def _case_label(function: Function, name: str) -> str:
    return f"“{name}” of {function.function_name} {function.version}"


def _case_differences(case: Case, given: GivenCase) -> list[str]:
    differences = []
    if not same_json(case.input_variables, given.inputs):
        differences.append("inputs")
    if not same_json(case.expectations, given.expectations):
        differences.append("expectations")
    if not same_json(case.snapshot, given.snapshot):
        differences.append("snapshot")
    if case.ignore_paths != given.ignore_paths:
        differences.append("ignored paths")
    return differences


def make_plan(given: GivenFiles, *, commit: str = "") -> Plan:
    """What applying the files would create, update and delete, in words, with the steps
    that do it (run by `apply_files`, inside its transaction)."""
    changes: list[Change] = []
    steps: list = []
    stored_cases: dict[tuple, Case] = {}
    function_ids = {case.function.pk for suite in given.suites for case in suite.cases}
    for case in Case.objects.filter(function_id__in=function_ids).select_related("function"):
        stored_cases[(case.function_id, case.name)] = case
    resolved: dict[tuple, Case] = {}

    # Cases first: a suite's new cases must exist before it holds them.
    seen: set[tuple] = set()
    for suite in given.suites:
        for given_case in suite.cases:
            key = (given_case.function.pk, given_case.name)
            if key in seen:
                continue
            seen.add(key)
            label = _case_label(given_case.function, given_case.name)
            stored = stored_cases.get(key)
            if stored is None:
                changes.append(Change("create", "case", label, given_case.file))
                steps.append(
                    lambda u, g=given_case, k=key: resolved.__setitem__(k, _create_case(g, u))
                )
            else:
                resolved[key] = stored
                if differences := _case_differences(stored, given_case):
                    changes.append(Change("update", "case", label, given_case.file, differences))
                    steps.append(lambda u, c=stored, g=given_case: _update_case(c, g))

    stored_suites = list(Suite.objects.prefetch_related("cases"))
    by_name = {suite.name.lower(): suite for suite in stored_suites}
    by_path = {suite.source_path: suite for suite in stored_suites if suite.source_path}
    kept: set[int] = set()
    sources = []
    removed_cases: dict[int, Case] = {}
    given_names = {suite.name.lower() for suite in given.suites}
    for suite in given.suites:
        stored = by_name.get(suite.name.lower())
        by_file = by_path.get(suite.file)
        if stored is None and by_file is not None and by_file.name.lower() not in given_names:
            stored = by_file
        keys = [(case.function.pk, case.name) for case in suite.cases]
        sources.append(
            {"suite": suite.name, "path": suite.file, "commit": commit,
             "repository": given.repository}
        )  # fmt: skip
        if stored is None:
            count = f"{len(keys)} case{'s' if len(keys) != 1 else ''}"
            changes.append(Change("create", "suite", f"“{suite.name}”", suite.file, [count]))
            steps.append(
                lambda u, s=suite, k=keys: _create_suite(s, [resolved[key] for key in k], u)
            )
            continue
        kept.add(stored.pk)
        details = []
        if stored.name != suite.name:
            details.append(f"renamed from “{stored.name}”")
        if stored.description != suite.description:
            details.append("description")
        held = {(case.function_id, case.name): case for case in stored.cases.all()}
        added = [key for key in keys if key not in held]
        gone = [case for key, case in held.items() if key not in set(keys)]
        if added:
            details.append(f"adds {len(added)} case{'s' if len(added) != 1 else ''}")
        if gone:
            details.append(f"removes {len(gone)} case{'s' if len(gone) != 1 else ''}")
            removed_cases.update((case.pk, case) for case in gone)
        if details:
            changes.append(Change("update", "suite", f"“{suite.name}”", suite.file, details))
            steps.append(
                lambda u, st=stored, s=suite, k=keys: _update_suite(
                    st, s, [resolved[key] for key in k]
                )
            )
        sources[-1]["was"] = {"path": stored.source_path, "commit": stored.source_commit,
                              "repository": stored.source_repository}  # fmt: skip

    prefix = f"{given.directory}/" if given.directory else ""
    pushed = {suite.file for suite in given.suites}
    deleting: set[int] = set()
    for stored in stored_suites:
        gone = (
            stored.pk not in kept
            and stored.source_path
            and stored.source_repository == given.repository
            and stored.source_path.startswith(prefix)
            and stored.source_path not in pushed
            and stored.name.lower() not in given_names
        )
        if gone:
            changes.append(
                Change(
                    "delete",
                    "suite",
                    f"“{stored.name}”",
                    stored.source_path,
                    [f"{stored.source_path} is gone"],
                )
            )
            steps.append(lambda u, st=stored: st.delete())
            deleting.add(stored.pk)
            removed_cases.update((case.pk, case) for case in stored.cases.all())

    still_held = set(resolved.values())
    orphans = [
        case
        for case in removed_cases.values()
        if case not in still_held and not case.suites.exclude(pk__in=[*kept, *deleting]).exists()
    ]
    for case in sorted(orphans, key=lambda c: (c.function.function_name, c.name)):
        changes.append(
            Change(
                "delete",
                "case",
                _case_label(case.function, case.name),
                "",
                ["in no suite any more"],
            )
        )
        steps.append(lambda u, c=case: c.delete())

    _plan_presets(given, changes, steps)
    return Plan(changes=changes, sources=sources, steps=steps)


def _plan_presets(given: GivenFiles, changes: list[Change], steps: list) -> None:
    stored = {
        (preset.function_id, preset.name): preset
        for preset in InputPreset.objects.filter(function_id__in=list(given.preset_functions))
    }
    wanted = {(preset.function.pk, preset.name): preset for preset in given.presets}
    for key, preset in wanted.items():
        label = f"“{preset.name}” of {preset.function.function_name} {preset.function.version}"
        if (old := stored.get(key)) is None:
            changes.append(Change("create", "preset", label, preset.file))
            steps.append(lambda u, p=preset: _create_preset(p, u))
        elif not same_json(old.input_variables, preset.inputs):
            changes.append(Change("update", "preset", label, preset.file, ["inputs"]))
            steps.append(lambda u, o=old, p=preset: _update_preset(o, p))
    for key, old in sorted(stored.items(), key=lambda item: item[1].name):
        if key not in wanted:
            function = given.preset_functions[key[0]]
            label = f"“{old.name}” of {function.function_name} {function.version}"
            changes.append(Change("delete", "preset", label, "", ["not in the files"]))
            steps.append(lambda u, o=old: o.delete())


# --- Applying it --------------------------------------------------------------------------


def _create_case(given: GivenCase, user) -> Case:
    return Case.objects.create(
        function=given.function,
        name=given.name,
        input_variables=given.inputs,
        expectations=given.expectations,
        snapshot=given.snapshot,
        ignore_paths=given.ignore_paths,
        created_by=user,
    )


def _update_case(case: Case, given: GivenCase) -> None:
    case.input_variables = given.inputs
    case.expectations = given.expectations
    case.snapshot = given.snapshot
    case.ignore_paths = given.ignore_paths
    case.save()


def _create_suite(given: GivenSuite, cases: list[Case], user) -> None:
    suite = Suite.objects.create(name=given.name, description=given.description, created_by=user)
    if cases:
        suite.cases.add(*cases)


def _update_suite(suite: Suite, given: GivenSuite, cases: list[Case]) -> None:
    if suite.name != given.name or suite.description != given.description:
        suite.name, suite.description = given.name, given.description
        suite.save()
    suite.cases.set(cases)


def _create_preset(given: GivenPreset, user) -> None:
    InputPreset.objects.create(
        function=given.function, name=given.name, input_variables=given.inputs, created_by=user
    )


def _update_preset(preset: InputPreset, given: GivenPreset) -> None:
    preset.input_variables = given.inputs
    preset.save()


def apply_files(given: GivenFiles, user, *, commit: str = "", fingerprint: str = "") -> Plan:
    """Bring the console in line with the files, all or nothing, as `user` (who must be a
    member now); with `fingerprint`, only if the plan is still the one that was shown."""
    require_role(user, Role.MEMBER)
    with transaction.atomic():
        plan = make_plan(given, commit=commit)
        if fingerprint and plan.fingerprint != fingerprint:
            raise PlanChanged(
                "The console changed since the plan was made: look at the new plan and push again."
            )
        for step in plan.steps:
            step(user)
        _record_sources(plan, user, commit)
    return plan


def _record_sources(plan: Plan, user, commit: str) -> None:
    now = timezone.now()
    for source in plan.sources:
        was = source.get("was") or {}
        Suite.objects.filter(name=source["suite"]).update(
            source_path=source["path"],
            source_repository=source["repository"],
            source_commit=commit[:64],
            source_pushed_at=now,
            source_pushed_by=user,
        )
        now_from = (source["path"], source["repository"], commit[:64])
        if (was.get("path"), was.get("repository"), was.get("commit")) != now_from:
            record(
                AuditAction.SUITE_CHANGED,
                f"suite {source['suite']}",
                from_file=source["path"],
                repository=source["repository"] or None,
                commit=commit[:64] or None,
            )


# --- Running cases given in a file --------------------------------------------------------


def run_given_cases(given: GivenFiles, user, *, version: str = "") -> list[SuiteRun]:
    """A run of each file's suite, its cases as the files give them (nothing is stored but
    the runs and their verdicts), judged as the console judges its own suites."""
    count = sum(len(suite.cases) for suite in given.suites)
    if count > MAX_GIVEN_CASES:
        raise FilesRefused(
            [
                {
                    "file": "",
                    "at": "cases",
                    "message": f"{count:,} cases in all: "
                    f"one run takes up to {MAX_GIVEN_CASES:,}; test fewer files at once.",
                }
            ]
        )
    runs = []
    for suite in given.suites:
        suite_run = SuiteRun.objects.create(
            suite=None,
            name=f"{suite.name} ({suite.file})"[:500],
            started_by=user,
            version=version.strip()[:64],
        )
        cases = [
            Case(
                function=case.function,
                name=case.name,
                input_variables=case.inputs,
                expectations=case.expectations,
                snapshot=case.snapshot,
                ignore_paths=case.ignore_paths,
            )
            for case in suite.cases
        ]
        queue_cases(suite_run, cases, user)
        runs.append(suite_run)
    return runs
