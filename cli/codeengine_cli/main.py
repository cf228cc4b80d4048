"""ce: run Domo Code Engine functions through Code Engine Console.

Every run goes through the console: it checks the inputs against the function's
definition, uses a token granted to you (this machine never holds one), and keeps the run
in the team's history, labelled as started from the command line.

Exit codes: 0 done (the run succeeded); 1 the run ended without success; 2 bad usage or
not logged in; 3 the console refused (key, permission, inputs); 4 the console could not
be reached or failed; 5 still running when --timeout was reached.
"""

import json
import shlex
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import click

from . import files_commands
from .console import (
    EXIT_OK,
    EXIT_RUN_UNSUCCESSFUL,
    EXIT_STILL_RUNNING,
    Console,
    ConsoleError,
    Settings,
    load_settings,
    save_settings,
    segment,
)
from .output import show, show_json, show_lines, show_stream, show_table
from .tables import run_over_table, table_options

WAIT_STEP_SECONDS = 30


class ConsoleGroup(click.Group):
    """Turns a `ConsoleError` into its message on stderr and its exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ConsoleError as error:
            show(f"ce: {error}", err=True)
            sys.exit(error.exit_code)


@click.group(cls=ConsoleGroup, help=__doc__)
@click.version_option(package_name="codeengine-console-cli")
def cli():
    pass


def _console() -> Console:
    return Console(load_settings())


# Why the console prefers a function among several of one name (its `choice.reason`).
CHOICE_REASONS = {
    "starred": "the starred one",
    "newest_starred": "the newest starred version",
    "newest": "the newest version",
}


def _function(console: Console, name: str) -> dict:
    """The saved function NAME names, with its inputs. Of several with that name, the one
    the console prefers (the starred one, else the newest version), said on stderr."""
    try:
        return console.request("GET", f"/functions/{segment(name)}")
    except ConsoleError as error:
        problem = error.problem
        if problem.get("code") != "function_ambiguous":
            raise
        if not isinstance(problem.get("choice"), dict):
            message = _with_candidates(str(error), problem)
            raise ConsoleError(message, error.exit_code, problem) from None
    choice = problem["choice"]
    why = CHOICE_REASONS.get(choice.get("reason"), "the one the console prefers")
    search = shlex.quote(name.rpartition("@")[0] or name)
    show(
        f"ce: {problem.get('count', 'Several')} saved functions are named {name}; using "
        f"{why}: {choice['function_name']} {choice['version']} on {choice['instance']} "
        f"(id {choice['id']}). To choose another, name it by id (ce functions --search "
        f"{search}) or add @version.",
        err=True,
    )
    return console.request("GET", f"/functions/{choice['id']}")


def _with_candidates(message: str, problem: dict) -> str:
    lines = [message]
    for candidate in problem.get("candidates") or []:
        if isinstance(candidate, dict):
            lines.append(
                f"  id {candidate.get('id')}: {candidate.get('function_name')} "
                f"{candidate.get('version')} on {candidate.get('instance')}, package "
                f"{candidate.get('package_id')}{' (starred)' if candidate.get('starred') else ''}"
            )
    return "\n".join(lines)


# --- login -------------------------------------------------------------------------------


@cli.command()
@click.argument("url")
@click.option("--key", help="The API key (asked for when left out, without echo).")
def login(url: str, key: str | None):
    """Store the console's URL and your API key (created on your profile page)."""
    key = key or click.prompt("API key", hide_input=True)
    console = Console(Settings(url.rstrip("/"), key.strip()))
    functions = console.request("GET", "/functions")
    path = save_settings(url, key.strip())
    show(f"Logged in to {url.rstrip('/')}: {len(functions)} saved functions. Key stored in {path}.")


# --- functions -----------------------------------------------------------------------------


@cli.command()
@click.option("--search", default="", help="Part of a name, package, alias or instance.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def functions(search: str, as_json: bool):
    """The saved functions, starred first."""
    found = _console().request("GET", "/functions", params={"search": search})
    if as_json:
        show_json(found)
        return
    show_table(
        found,
        [("id", "ID"), ("name", "NAME"), ("function_name", "FUNCTION"), ("instance", "INSTANCE"),
         ("version", "VERSION"), ("package_id", "PACKAGE")],
    )  # fmt: skip


# --- run -------------------------------------------------------------------------------------


def _typed(parameter: dict | None, text: str) -> Any:
    """A value typed as name=value, as the input's declared type wants it."""
    if parameter is None:
        return text
    kind = parameter.get("type")
    if parameter.get("isList") or kind == "object" or text.strip() == "null":
        return _json_value(text)
    if kind == "number":
        try:
            return int(text)
        except ValueError:
            return text  # the console says why it does not fit
    if kind == "decimal":
        try:
            return json.loads(text) if text.strip() and text.strip()[0] in "-0123456789" else text
        except ValueError:
            return text
    if kind == "boolean":
        return {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}.get(
            text.strip().lower(), text
        )
    return text


def _json_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _inputs(function: dict, pairs: tuple[str, ...], inputs_file: Path | None) -> dict:
    inputs: dict = {}
    if inputs_file is not None:
        loaded = json.loads(inputs_file.read_text())
        if not isinstance(loaded, dict):
            raise click.BadParameter(
                "must hold a JSON object of inputVariables", param_hint="--inputs-file"
            )
        inputs.update(loaded)
    by_name = {parameter["name"]: parameter for parameter in function.get("inputs") or []}
    for pair in pairs:
        name, equals, text = pair.partition("=")
        if not equals or not name:
            raise click.BadParameter(f"{pair!r} is not name=value", param_hint="--input")
        inputs[name] = _typed(by_name.get(name), text)
    return inputs


def _finished_run(console: Console, run: dict, timeout: float, quiet: bool) -> dict:
    """Wait for the run's end (or the timeout), saying its status on stderr as it changes."""
    deadline = time.monotonic() + timeout
    shown = None
    while True:
        if run["status"] != shown and not quiet:
            show(f"run #{run['id']}: {run['status']}", err=True)
            shown = run["status"]
        remaining = deadline - time.monotonic()
        if run["finished"] or remaining <= 0:
            return run
        console.pause_as_asked(remaining)
        wait = max(1, min(WAIT_STEP_SECONDS, int(deadline - time.monotonic())))
        run = console.request("GET", f"/runs/{run['id']}", params={"wait": wait})


def _report(run: dict, as_json: bool) -> int:
    if as_json:
        show_json(run)
    else:
        if run.get("result") is not None or run["status"] == "SUCCESS":
            show_json(run.get("result"))
        for line in run.get("stderr") or []:
            show_lines("stderr: ", line if isinstance(line, str) else json.dumps(line), err=True)
        error = run.get("error")
        if error:
            title = error.get("title") or error.get("code")
            show_lines("error: ", f"{title}: {error.get('message')}", err=True)
            if error.get("next_step"):
                show_lines("next: ", error["next_step"], err=True)
    if not run["finished"]:
        return EXIT_STILL_RUNNING
    return EXIT_OK if run["status"] == "SUCCESS" else EXIT_RUN_UNSUCCESSFUL


@cli.command()
@click.argument("function")
@click.option(
    "--input",
    "-i",
    "pairs",
    multiple=True,
    metavar="NAME=VALUE",
    help="An input; repeat it. Values are read as the input's declared type.",
)
@click.option(
    "--inputs-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A JSON object of inputVariables (--input values override it).",
)
@click.option("--version", "version", help="Run another version than the one saved.")
@click.option("--wait/--no-wait", default=True, show_default=True, help="Wait for the result.")
@click.option("--timeout", default=330.0, show_default=True, help="Seconds to wait at most.")
@click.option("--idempotency-key", help="Send it again and get the same run, not a second.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole run as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No status lines on stderr.")
@table_options
def run(function, pairs, inputs_file, version, wait, timeout, idempotency_key, as_json, quiet,
        **table):  # fmt: skip
    """Run FUNCTION (an id, a name, or instance/package/function) and print its result;
    with --table, once per row of a CSV or JSON Lines file.

    Exits 0 when the run succeeded, 1 when it ended otherwise (see the exit codes above)."""
    console = _console()
    definition = _function(console, function)
    if table["table"]:
        options = {**table, "timeout": timeout, "quiet": quiet, "as_json": as_json}
        sys.exit(run_over_table(console, definition, table["table"], options))
    body = {"function": definition["id"], "inputs": _inputs(definition, pairs, inputs_file)}
    if version:
        body["version"] = version
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    first_wait = min(WAIT_STEP_SECONDS, int(timeout)) if wait else 0
    started = console.request(
        "POST", "/runs", json=body, headers=headers, params={"wait": first_wait}
    )
    if not wait:
        if as_json:
            show_json(started)
        else:
            link = f"{console.settings.url}{started['url']}"
            show(f"run #{started['id']}: {started['status']} ({link})")
        return
    finished = _finished_run(console, started, timeout, quiet or as_json)
    sys.exit(_report(finished, as_json))


# --- runs, get -------------------------------------------------------------------------------


def _since(text: str | None) -> str:
    """`1d`, `12h`, `2w` or a date, as the first day to include."""
    if not text:
        return ""
    units = {"d": 1, "w": 7}
    if text[-1:] in units and text[:-1].isdigit():
        return (date.today() - timedelta(days=int(text[:-1]) * units[text[-1]])).isoformat()
    if text[-1:] == "h" and text[:-1].isdigit():
        return (date.today() - timedelta(hours=int(text[:-1]))).isoformat()
    return text


_RUN_COLUMNS = [("id", "RUN"), ("status", "STATUS"), ("function_name", "FUNCTION"),
                ("version", "VERSION"), ("requested_by", "WHO"), ("source", "SOURCE"),
                ("queued_at", "QUEUED"), ("duration_ms", "MS")]  # fmt: skip


def _history_filters(console, function, status, outcome, source, mine, since, search) -> dict:
    if function:
        function = str(_function(console, function)["id"])
    filters = {"function": function, "outcome": outcome, "source": source, "q": search,
               "since": _since(since), "mine": "true" if mine else ""}  # fmt: skip
    if status:
        known = {"failed": "FAILED", "success": "SUCCESS", "succeeded": "SUCCESS"}
        filters["status"] = known.get(status.lower(), status)
    return {name: value for name, value in filters.items() if value}


@cli.command()
@click.option("--function", "-f", default="", help="An id, a name, or instance/package/function.")
@click.option("--status", default="", help="e.g. failed, success, error, running.")
@click.option("--outcome", default="", help="success, failure, error, unsuccessful, in_flight.")
@click.option("--source", default="", help="form, api, cli, batch…")
@click.option("--mine", is_flag=True, help="Only runs you started.")
@click.option("--since", default="", help="1d, 12h, 2w or YYYY-MM-DD.")
@click.option("--search", default="", help="Text in the function name or the inputs.")
@click.option("--limit", default=50, show_default=True, help="Runs to list (up to 200 a page).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def runs(function, status, outcome, source, mine, since, search, limit, as_json):
    """The team's history, newest first."""
    console = _console()
    params = _history_filters(console, function, status, outcome, source, mine, since, search)
    found: list[dict] = []
    cursor = None
    while len(found) < limit:
        page = console.request(
            "GET", "/runs", params={**params, "limit": min(200, limit - len(found)),
                                    **({"cursor": cursor} if cursor else {})},
        )  # fmt: skip
        found += page["runs"]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    if as_json:
        show_json(found)
        return
    for row in found:
        row["function_name"] = row["function"]["name"]
    show_table(found, _RUN_COLUMNS)


@cli.command()
@click.argument("run_id", type=int)
@click.option("--wait", "wait", default=0, help="Seconds to wait for it to finish.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole run as JSON.")
def get(run_id: int, wait: int, as_json: bool):
    """One run: its status and result (exit code as for `ce run`)."""
    console = _console()
    found = console.request("GET", f"/runs/{run_id}", params={"wait": min(wait, 60)})
    if not as_json:
        link = f"{console.settings.url}{found['url']}"
        name = found["function"]["name"]
        show(
            f"run #{found['id']}: {found['status']} · {name} {found['version']} · {link}", err=True
        )
    sys.exit(_report(found, as_json))


# --- batch -----------------------------------------------------------------------------------


def _input_sets(path: Path) -> list[dict]:
    """JSON Lines (one object per line) or a JSON list of objects."""
    text = path.read_text()
    stripped = text.lstrip()
    if stripped.startswith("["):
        sets = json.loads(stripped)
    else:
        sets = [json.loads(line) for line in text.splitlines() if line.strip()]
    if not all(isinstance(entry, dict) for entry in sets):
        raise click.BadParameter("each line must be a JSON object of inputVariables",
                                 param_hint="--inputs-file")  # fmt: skip
    return sets


@cli.command()
@click.argument("function")
@click.option(
    "--inputs-file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSON Lines, one object of inputVariables per line (or a JSON list).",
)
@click.option("--version", "version", help="Run another version than the one saved.")
@click.option("--wait/--no-wait", default=True, show_default=True, help="Follow it to the end.")
@click.option("--timeout", default=1800.0, show_default=True, help="Seconds to follow it at most.")
@click.option("--json", "as_json", is_flag=True, help="Print the batch's summary as JSON.")
def batch(function, inputs_file, version, wait, timeout, as_json):
    """Run FUNCTION once per line of --inputs-file (up to 1,000), with a progress bar and a
    summary. Exits 0 when every run succeeded, 1 otherwise."""
    console = _console()
    definition = _function(console, function)
    body = {"function": definition["id"], "inputs": _input_sets(inputs_file)}
    if version:
        body["version"] = version
    submitted = console.request("POST", "/batches", json=body)
    batch_id = submitted["batch_id"]
    show(f"batch {batch_id}: {len(submitted['runs'])} runs queued", err=True)
    state = console.request("GET", f"/batches/{batch_id}")
    if wait:
        deadline = time.monotonic() + timeout
        with click.progressbar(
            length=state["total"], label="runs finished", file=sys.stderr
        ) as bar:
            done = state["finished"]
            bar.update(done)
            while state["finished"] < state["total"] and time.monotonic() < deadline:
                time.sleep(0.5)
                state = console.request("GET", f"/batches/{batch_id}")
                bar.update(state["finished"] - done)
                done = state["finished"]
    if as_json:
        show_json(state)
    else:
        rows = [
            {"status": status, "runs": count}
            for status, count in sorted(state["by_status"].items())
        ]
        show_table(rows, [("status", "STATUS"), ("runs", "RUNS")])
        show(f"{state['succeeded']} of {state['total']} succeeded · "
             f"{console.settings.url}/executions/?batch={batch_id}")  # fmt: skip
    if state["finished"] < state["total"]:
        sys.exit(EXIT_STILL_RUNNING)
    sys.exit(EXIT_OK if state["succeeded"] == state["total"] else EXIT_RUN_UNSUCCESSFUL)


# --- suites ----------------------------------------------------------------------------------


@cli.group()
def suite():
    """Suites of function tests: list them, run one and gate a release on it."""


@suite.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def suite_list(as_json: bool):
    """The team's suites."""
    found = _console().request("GET", "/suites")
    if as_json:
        show_json(found)
        return
    show_table(
        found, [("id", "ID"), ("name", "NAME"), ("cases", "CASES"), ("description", "ABOUT")]
    )


@suite.command("run")
@click.argument("name")
@click.option("--version", "version", default="", help="Run every case on this version.")
@click.option("--instance", default="", help="Run on another instance's copies (staging…).")
@click.option(
    "--junit",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the verdicts as JUnit XML for CI.",
)
@click.option("--timeout", default=600.0, show_default=True, help="Seconds to wait at most.")
@click.option("--json", "as_json", is_flag=True, help="Print the suite run as JSON.")
def suite_run(
    name: str, version: str, instance: str, junit: Path | None, timeout: float, as_json: bool
):
    """Run the suite NAME (or id) and print each case's verdict. Exits 0 when every case
    passed, 1 when one failed or had an error (or it has no cases), 5 when still running
    at --timeout."""
    console = _console()
    deadline = time.monotonic() + timeout
    wait = min(WAIT_STEP_SECONDS, int(timeout))
    params = {"version": version, "instance": instance, "wait": wait}
    state = console.request("POST", f"/suites/{segment(name)}/runs", params=params)
    show(f"suite run #{state['id']}: {len(state['results'])} cases", err=True)
    while not state["finished"] and time.monotonic() < deadline:
        console.pause_as_asked(deadline - time.monotonic())
        wait = max(1, min(WAIT_STEP_SECONDS, int(deadline - time.monotonic())))
        state = console.request("GET", f"/suite-runs/{state['id']}", params={"wait": wait})
    if junit is not None:
        xml = b"".join(console.stream(f"/suite-runs/{state['id']}/junit.xml", {}))
        junit.write_bytes(xml)
    if as_json:
        show_json(state)
    else:
        columns = [("verdict", "VERDICT"), ("case", "CASE"), ("function", "FUNCTION")]
        show_table(state["results"], [*columns, ("run_id", "RUN")])
        for result in state["results"]:
            for unmet in result["unmet"]:
                show_lines(f"{result['case']}: ", unmet.get("message"), err=True)
        counts = state["counts"]
        show(f"{counts['pass']} pass, {counts['fail']} fail, {counts['error']} error · "
             f"{console.settings.url}{state['url']}")  # fmt: skip
    if not state["finished"]:
        sys.exit(EXIT_STILL_RUNNING)
    if not state["results"]:
        show("The suite has no cases: it proves nothing, so it does not pass.", err=True)
    sys.exit(EXIT_OK if state["passed"] else EXIT_RUN_UNSUCCESSFUL)


# --- export ----------------------------------------------------------------------------------


@cli.command()
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["jsonl", "csv"]),
    default="jsonl",
    show_default=True,
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A file to write (default: standard output).",
)
@click.option("--function", "-f", default="")
@click.option("--status", default="")
@click.option("--outcome", default="")
@click.option("--source", default="")
@click.option("--mine", is_flag=True)
@click.option("--since", default="", help="1d, 12h, 2w or YYYY-MM-DD.")
@click.option("--search", default="")
def export(file_format, output, function, status, outcome, source, mine, since, search):
    """The filtered history as JSON Lines (results and logs included) or CSV, streamed: exact
    to a file or a pipe, without the characters a terminal acts on to a terminal."""
    console = _console()
    params = _history_filters(console, function, status, outcome, source, mine, since, search)
    chunks = console.stream(f"/runs/export.{file_format}", params)
    if output is None and sys.stdout.isatty():
        show_stream(chunks)
        return
    target = output.open("wb") if output else click.get_binary_stream("stdout")
    try:
        for chunk in chunks:
            target.write(chunk)
    finally:
        if output:
            target.close()


for command in files_commands.COMMANDS:
    cli.add_command(command)

from .load import load  # noqa: E402  (built on the helpers above)

cli.add_command(load)

if __name__ == "__main__":
    cli()
