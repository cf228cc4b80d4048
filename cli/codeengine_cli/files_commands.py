"""`ce pull`, `ce push`, `ce test` and `ce schema`: suites kept as files in a repository.

`ce pull DIR` writes the console's suites as files (suite_files.py holds the format);
`ce push DIR` shows what the files would change in the console, then applies it, as the
key's user; `ce test DIR` runs the files' suites without storing them, for CI on a pull
request, with JUnit XML and a non-zero exit on failure.
"""

import re
import shutil
import subprocess
import sys
import time
import unicodedata
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit, urlunsplit

import click

from .console import (
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_RUN_UNSUCCESSFUL,
    EXIT_STILL_RUNNING,
    EXIT_USAGE,
    Console,
    ConsoleError,
    load_settings,
)
from .output import show, show_json, show_lines, show_table
from .suite_files import (
    FORMAT,
    FUNCTION_KEYS,
    PRESETS_FILE,
    SCHEMA_FILE,
    FileProblem,
    Parsed,
    dump,
    parse,
    parse_json,
    schema_text,
    snapshot_text,
)

WAIT_STEP_SECONDS = 30
# What every version of the format's `format` starts with: another YAML file (a CI
# workflow, a compose file) in the directory is left out, a suite file of another version
# is refused.
FORMAT_FAMILY = "codeengine-console/"
# A file larger than this is refused before it is read (the console takes less anyway).
MAX_FILE_BYTES = 20_000_000


def counted(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _console() -> Console:
    return Console(load_settings())


# --- Where the files are in their repository ------------------------------------------------


def _git(directory: Path, *args: str) -> str:
    git = shutil.which("git")
    if git is None:
        return ""
    try:
        done = subprocess.run(  # noqa: S603 (git itself, with our own arguments)
            [git, "-C", str(directory), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


class Place:
    """DIR as a place in its repository: file paths as the console keeps them (relative to
    the repository's root, or to DIR outside a repository) and the commit checked out."""

    def __init__(self, directory: Path):
        self.directory = directory.resolve()
        root = _git(self.directory, "rev-parse", "--show-toplevel")
        self.root = Path(root).resolve() if root else None
        self.prefix = (
            self.directory.relative_to(self.root).as_posix() if self.root is not None else ""
        )
        if self.prefix == ".":
            self.prefix = ""

    def path_of(self, file: Path) -> str:
        relative = file.resolve().relative_to(self.directory).as_posix()
        return f"{self.prefix}/{relative}" if self.prefix else relative

    def repository(self) -> str:
        """The repository's origin, without the credentials an address may hold."""
        if self.root is None:
            return ""
        remote = _git(self.directory, "remote", "get-url", "origin")
        if "://" in remote:
            parts = urlsplit(remote)
            host = parts.hostname or ""
            netloc = f"{host}:{parts.port}" if parts.port else host
            remote = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
        return remote[:300]

    def head(self) -> str:
        return _git(self.directory, "rev-parse", "HEAD") if self.root is not None else ""

    def uncommitted(self) -> bool:
        if self.root is None:
            return False
        return bool(_git(self.directory, "status", "--porcelain", "--", "."))


# --- pull ------------------------------------------------------------------------------------


def slug(text: str) -> str:
    """A file name for a suite or case name: lower case letters, digits and dashes."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:80] or "suite"


def _alias_names(functions: list[dict]) -> dict[tuple, str]:
    """Each function's key in a file: its name, else name@version, else the whole name."""
    keys = {tuple(f[k] for k in FUNCTION_KEYS): f for f in functions}
    by_name: dict[str, list[tuple]] = {}
    for key in keys:
        by_name.setdefault(key[2], []).append(key)
    names = {}
    for name, same in by_name.items():
        versions = {key[3] for key in same}
        for key in same:
            if len(same) == 1:
                names[key] = name
            elif len(versions) == len(same):
                names[key] = f"{name}@{key[3]}"
            else:
                names[key] = f"{key[0]}/{key[1]}/{name}@{key[3]}"
    return names


def _function_block(keys: list[tuple], aliases: dict[tuple, str]) -> dict:
    return {aliases[key]: dict(zip(FUNCTION_KEYS, key, strict=True)) for key in keys}


def _key(reference: dict) -> tuple:
    return tuple(reference[k] for k in FUNCTION_KEYS)


def suite_documents(exported: dict, place: "Place | None" = None) -> dict[str, str]:
    """The files (relative path → text) for what the console exported: one per suite, a
    snapshot file per case that has one, and presets.yaml; in a stable order."""
    files: dict[str, str] = {}
    taken: set[str] = {PRESETS_FILE.removesuffix(".yaml")}
    for suite in exported["suites"]:
        base = _file_base(suite, place, taken)
        taken.add(base)
        keys = sorted(
            {_key(case["function"]) for case in suite["cases"]},
            key=lambda k: (k[2], k[3], k[0], k[1]),
        )
        aliases = _alias_names([dict(zip(FUNCTION_KEYS, k, strict=True)) for k in keys])
        document: dict = {"format": FORMAT, "suite": {"name": suite["name"]}}
        if suite["description"]:
            document["suite"]["description"] = suite["description"]
        document["functions"] = _function_block(keys, aliases)
        cases = []
        snapshot_names: set[str] = set()
        for case in suite["cases"]:
            alias = aliases[_key(case["function"])]
            entry: dict = {
                "name": case["name"],
                "function": alias,
                "inputs": case["inputs"],
                "expectations": case["expectations"],
            }
            if case["ignore_paths"]:
                entry["ignore_paths"] = case["ignore_paths"]
            if case["snapshot"] is not None:
                name = slug(case["name"]) if len(keys) == 1 else slug(f"{alias} {case['name']}")
                chosen, number = name, 2
                while chosen in snapshot_names:
                    chosen, number = f"{name}-{number}", number + 1
                snapshot_names.add(chosen)
                relative = f"{base}.snapshots/{chosen}.json"
                files[relative] = snapshot_text(case["snapshot"])
                entry["snapshot"] = relative
            cases.append(entry)
        document["cases"] = cases
        files[f"{base}.yaml"] = dump(document, schema_path=SCHEMA_FILE)
    presets_keys = [_key(function) for function in exported["functions"]]
    if presets_keys:
        aliases = _alias_names(exported["functions"])
        document = {
            "format": FORMAT,
            "functions": _function_block(presets_keys, aliases),
            "presets": [
                {
                    "name": preset["name"],
                    "function": aliases[_key(preset["function"])],
                    "inputs": preset["inputs"],
                }
                for preset in exported["presets"]
            ],
        }
        files[PRESETS_FILE] = dump(document, schema_path=SCHEMA_FILE)
    return files


def _file_base(suite: dict, place: "Place | None", taken: set[str]) -> str:
    """A suite pushed from a file of this directory keeps its file's name."""
    source = suite.get("source") or {}
    path = PurePosixPath(source.get("path") or "")
    here = place is not None and str(path.parent) == (place.prefix or ".")
    if here and path.suffix == ".yaml" and path.stem not in taken:
        return path.stem
    base, number = slug(suite["name"]), 2
    chosen = base
    while chosen in taken:
        chosen, number = f"{base}-{number}", number + 1
    return chosen


def _is_suite_file(path: Path) -> bool:
    try:
        head = path.read_text("utf-8")[:4000]
    except (OSError, UnicodeDecodeError):
        return False
    return f"format: {FORMAT}" in head


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--suite", "suites", multiple=True, help="Only this suite (name or id); repeat.")
def pull(directory: Path, suites: tuple[str, ...]):
    """Write the console's suites into DIRECTORY as files: one YAML file per suite, each
    case's snapshot as JSON beside it, the presets of their functions in presets.yaml, and
    the format's JSON Schema for editors. Pulling every suite also removes the suite files
    of suites the console no longer has."""
    console = _console()
    exported = console.request("GET", "/suite-files", params=[("suite", s) for s in suites])
    directory.mkdir(parents=True, exist_ok=True)
    place = Place(directory)
    files = suite_documents(exported, place)
    files[SCHEMA_FILE] = schema_text()
    written = 0
    for relative, text in files.items():
        target = directory / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8")
        if not target.exists() or target.read_bytes() != data:
            target.write_bytes(data)
            written += 1
    removed = 0
    if not suites:
        for stale in sorted(directory.glob("*.yaml")):
            if stale.name not in files and _is_suite_file(stale):
                stale.unlink()
                removed += 1
        for folder in sorted(directory.glob("*.snapshots")):
            for snapshot in sorted(folder.glob("*.json")):
                if f"{folder.name}/{snapshot.name}" not in files:
                    snapshot.unlink()
                    removed += 1
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
    cases = sum(len(suite["cases"]) for suite in exported["suites"])
    show(
        f"Pulled {counted(len(exported['suites']), 'suite')} ({counted(cases, 'case')}) and "
        f"{counted(len(exported['presets']), 'preset')} into {directory}: "
        f"{counted(written, 'file')} written, "
        f"{removed} removed."
    )


# --- Reading a directory -----------------------------------------------------------------------


def read_directory(directory: Path, place: Place) -> tuple[list[dict], dict[str, Parsed]]:
    """The suite files of DIRECTORY (not its subfolders) as the console reads them, with
    each one's parse (for the lines of the console's errors)."""
    if not directory.is_dir():
        raise ConsoleError(f"{directory} is not a directory.", EXIT_USAGE)
    entries, parsed = [], {}
    for file in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
        path = place.path_of(file)
        if file.stat().st_size > MAX_FILE_BYTES:
            raise FileProblem(path, None, f"larger than {MAX_FILE_BYTES:,} bytes.")
        try:
            text = file.read_text("utf-8")
        except UnicodeDecodeError:
            raise FileProblem(path, None, "not UTF-8 text.") from None
        document = parse(text, path)
        declared = document.value.get("format") if isinstance(document.value, dict) else None
        if not (isinstance(declared, str) and declared.startswith(FORMAT_FAMILY)):
            show(f"ce: {path} is not a suite file (no format: {FORMAT}): left out.", err=True)
            continue
        parsed[path] = document
        entries.append(_entry(document, path, file.parent, directory))
    return entries, parsed


def _entry(document: Parsed, path: str, folder: Path, directory: Path) -> dict:
    value = document.value
    if not isinstance(value, dict):
        raise FileProblem(path, 1, "a suite file is a mapping that starts with format.")
    if value.get("format") != FORMAT:
        found = value.get("format")
        raise FileProblem(
            path,
            document.line_of("format"),
            f"format is {found!r}; this ce reads {FORMAT!r}"
            + (" (a newer ce may read it)." if isinstance(found, str) else "."),
        )
    extra = sorted(set(value) - {"format", "suite", "functions", "cases", "presets"})
    if extra:
        raise FileProblem(path, document.line_of(extra[0]), f"unknown key {extra[0]!r}.")
    entry: dict = {"path": path, "functions": value.get("functions") or {}}
    if "suite" in value:
        entry["suite"] = value["suite"]
    cases = value.get("cases") or []
    if isinstance(cases, list):
        entry["cases"] = [
            _case(case, f"cases[{index}]", document, path, folder, directory)
            for index, case in enumerate(cases)
        ]
    else:
        entry["cases"] = cases
    if "presets" in value:
        entry["presets"] = value["presets"] if value["presets"] is not None else []
    return entry


def _case(case, at: str, document: Parsed, path: str, folder: Path, directory: Path):
    if not isinstance(case, dict) or not isinstance(case.get("snapshot"), str):
        if isinstance(case, dict) and case.get("snapshot") is not None:
            raise FileProblem(
                path,
                document.line_of(f"{at}.snapshot"),
                f"{at}.snapshot: the snapshot's file, relative to this file.",
            )
        return case
    reference = case["snapshot"]
    target = (folder / reference).resolve()
    if PurePosixPath(reference).is_absolute() or not target.is_relative_to(directory.resolve()):
        raise FileProblem(
            path,
            document.line_of(f"{at}.snapshot"),
            f"{at}.snapshot: {reference} is outside {directory}.",
        )
    try:
        text = target.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise FileProblem(
            path,
            document.line_of(f"{at}.snapshot"),
            f"{at}.snapshot: cannot read {reference} ({error}).",
        ) from None
    return {**case, "snapshot": parse_json(text, reference)}


def _refused(error: ConsoleError, parsed: dict[str, Parsed]) -> ConsoleError:
    """The console's errors about files, each at its file and line."""
    problem = error.problem
    if problem.get("code") != "files_refused":
        return error
    lines = [str(problem.get("detail", error))]
    for item in problem.get("errors") or []:
        file, at = item.get("file", ""), item.get("at", "")
        document = parsed.get(file)
        line = document.line_of(at) if document is not None and at else None
        where = f"{file}:{line}" if line else file
        lines.append(f"  {where}: {at + ': ' if at else ''}{item.get('message')}")
    return ConsoleError("\n".join(lines), EXIT_REFUSED, problem)


def _read(directory: Path, place: Place) -> tuple[list[dict], dict[str, Parsed]]:
    try:
        return read_directory(directory, place)
    except FileProblem as problem:
        raise ConsoleError(str(problem), EXIT_USAGE) from None


# --- push ---------------------------------------------------------------------------------------

SYMBOLS = {"create": "+", "update": "~", "delete": "-"}
VERBS = {"create": "create", "update": "update", "delete": "delete"}


def _show_plan(plan: dict) -> None:
    for change in plan["changes"]:
        details = f" ({', '.join(change['details'])})" if change["details"] else ""
        where = f"  [{change['file']}]" if change["file"] else ""
        show(
            f"  {SYMBOLS[change['action']]} {VERBS[change['action']]} {change['kind']} "
            f"{change['name']}{details}{where}"
        )
    counts = plan["counts"]
    show(
        f"Plan: {counts['create']} to create, {counts['update']} to update, "
        f"{counts['delete']} to delete."
    )


def _sources_change(plan: dict) -> list[dict]:
    return [
        source
        for source in plan["sources"]
        if (source.get("was") or {}).get("path") != source["path"]
        or (source.get("was") or {}).get("commit") != source["commit"]
    ]


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--commit", default="", help="The commit the files are at (default: git HEAD).")
@click.option("--yes", "-y", is_flag=True, help="Apply the plan without asking.")
@click.option("--dry-run", is_flag=True, help="Show the plan only.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
def push(directory: Path, commit: str, yes: bool, dry_run: bool, as_json: bool):
    """Update the console from the suite files in DIRECTORY: create, update and delete
    suites, cases and presets so the console holds what the files hold. The plan is shown
    first, then applied in one step once confirmed (--yes in CI), as your key's user. The
    suites are marked as coming from their files, at --commit (or git's HEAD)."""
    console = _console()
    place = Place(directory)
    entries, parsed = _read(directory, place)
    if not entries:
        raise ConsoleError(
            f"{directory} holds no suite file (*.yaml): nothing to push. A suite pushed from "
            "it is deleted when its file is gone and the directory still holds others; "
            "delete the last one in the console.",
            EXIT_USAGE,
        )
    if not commit and place.root is not None:
        commit = place.head()
        if commit and place.uncommitted():
            show(
                f"ce: {directory} has changes not committed: the suites are marked at "
                f"{commit[:7]}, which does not hold them.",
                err=True,
            )
    body = {"directory": place.prefix, "repository": place.repository(), "commit": commit,
            "files": entries}  # fmt: skip
    try:
        plan = console.request("POST", "/suite-files/plan", json=body)
    except ConsoleError as error:
        raise _refused(error, parsed) from None
    marks = _sources_change(plan)
    if as_json:
        show_json(plan)
    elif plan["changes"]:
        show(f"Pushing {counted(len(entries), 'file')} from {directory} would:")
        _show_plan(plan)
    else:
        show("No changes: the console already holds what the files hold.")
    if dry_run or (not plan["changes"] and not marks):
        return
    if plan["changes"] and not yes:
        if not sys.stdin.isatty():
            raise ConsoleError(
                "Not applied: confirm with --yes (or look with --dry-run).", EXIT_USAGE
            )
        if not click.confirm("Apply this plan?", default=False):
            show("Not applied.")
            return
    body["fingerprint"] = plan["fingerprint"]
    try:
        applied = console.request("POST", "/suite-files/push", json=body)
    except ConsoleError as error:
        raise _refused(error, parsed) from None
    counts = applied["counts"]
    at = f" at {commit[:7]}" if commit else ""
    if applied["changes"]:
        show(
            f"Applied: {counts['create']} created, {counts['update']} updated, "
            f"{counts['delete']} deleted; "
            f"{counted(len(applied['sources']), 'suite')} from files{at}."
        )
    else:
        show(f"Marked {counted(len(applied['sources']), 'suite')} as from their files{at}.")


# --- test ---------------------------------------------------------------------------------------


@click.command("test")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--version", "version", default="", help="Run every case on this version.")
@click.option(
    "--junit",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the verdicts as JUnit XML for CI.",
)
@click.option("--timeout", default=600.0, show_default=True, help="Seconds to wait at most.")
@click.option("--json", "as_json", is_flag=True, help="Print the suite runs as JSON.")
def test_files(directory: Path, version: str, junit: Path | None, timeout: float, as_json: bool):
    """Run the suites in DIRECTORY's files as they are, without storing them in the console
    (for CI on a pull request): each case runs and is judged as the console's own suites
    are. Exits 0 when every case passed, 1 when one failed or had an error (or a suite has
    no cases), 5 when still running at --timeout."""
    console = _console()
    place = Place(directory)
    entries, parsed = _read(directory, place)
    entries = [entry for entry in entries if "suite" in entry]
    if not entries:
        raise ConsoleError(f"{directory} holds no suite file.", EXIT_USAGE)
    try:
        started = console.request(
            "POST",
            "/suite-files/runs",
            params={"version": version},
            json={"directory": place.prefix, "files": entries},
        )
    except ConsoleError as error:
        raise _refused(error, parsed) from None
    deadline = time.monotonic() + timeout
    states = []
    for state in started["suite_runs"]:
        show(
            f"{state['suite']['name']}: suite run #{state['id']}, "
            f"{counted(len(state['results']), 'case')}",
            err=True,
        )
        while not state["finished"] and time.monotonic() < deadline:
            console.pause_as_asked(deadline - time.monotonic())
            wait = max(1, min(WAIT_STEP_SECONDS, int(deadline - time.monotonic())))
            state = console.request("GET", f"/suite-runs/{state['id']}", params={"wait": wait})
        states.append(state)
    if junit is not None:
        junit.write_bytes(_junit(console, states))
    if as_json:
        show_json(states)
    else:
        rows = [
            {**result, "suite": state["suite"]["name"]}
            for state in states
            for result in state["results"]
        ]
        show_table(
            rows,
            [
                ("verdict", "VERDICT"),
                ("suite", "SUITE"),
                ("case", "CASE"),
                ("function", "FUNCTION"),
                ("run_id", "RUN"),
            ],
        )
        for row in rows:
            for unmet in row["unmet"]:
                show_lines(f"{row['case']}: ", unmet.get("message"), err=True)
        totals = {
            verdict: sum(s["counts"][verdict] for s in states)
            for verdict in ("pass", "fail", "error")
        }
        show(f"{totals['pass']} pass, {totals['fail']} fail, {totals['error']} error")
    if not all(state["finished"] for state in states):
        sys.exit(EXIT_STILL_RUNNING)
    for state in states:
        if not state["results"]:
            show(
                f"{state['suite']['name']} has no cases: it proves nothing, so it does not pass.",
                err=True,
            )
    sys.exit(EXIT_OK if all(state["passed"] for state in states) else EXIT_RUN_UNSUCCESSFUL)


def _junit(console: Console, states: list[dict]) -> bytes:
    """One JUnit report of every suite run: the console's own report of each, together."""
    parts = []
    for state in states:
        xml = b"".join(console.stream(f"/suite-runs/{state['id']}/junit.xml", {}))
        if xml.startswith(b"<?xml"):
            xml = xml[xml.index(b"?>") + 2 :].lstrip()
        parts.append(xml)
    tests = sum(len(state["results"]) for state in states)
    failures = sum(state["counts"]["fail"] for state in states)
    errors = sum(state["counts"]["error"] for state in states)
    head = (
        f"<?xml version='1.0' encoding='utf-8'?>\n"
        f'<testsuites tests="{tests}" failures="{failures}" errors="{errors}">'
    )
    return head.encode() + b"".join(parts) + b"</testsuites>\n"


# --- schema -------------------------------------------------------------------------------------


@click.command()
def schema():
    """Print the JSON Schema of suite files (ce pull also writes it beside them)."""
    click.echo(schema_text(), nl=False)


COMMANDS = (pull, push, test_files, schema)
