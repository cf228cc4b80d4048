"""`ce run FUNCTION --table FILE`: the function over each row of a CSV or JSON Lines file,
through the console (which checks every row first), with a progress bar, a summary, and
the rows' results written to a file on request.

Exits 0 when every row's run succeeded (and passed, when judged), 1 otherwise, 3 when the
console refused the table (rows that do not fit are listed by line and column), 5 when
still running at --timeout.
"""

import json
import sys
import time
from pathlib import Path

import click

from .console import EXIT_OK, EXIT_RUN_UNSUCCESSFUL, EXIT_STILL_RUNNING, Console
from .output import show, show_json, show_table

POLL_SECONDS = 0.5


def mapping_of(pairs: tuple[str, ...]) -> dict[str, str]:
    """`--map input=column`, repeated."""
    mapping = {}
    for pair in pairs:
        name, equals, column = pair.partition("=")
        if not equals or not name or not column:
            raise click.BadParameter(f"{pair!r} is not input=column", param_hint="--map")
        mapping[name] = column
    return mapping


def run_over_table(console: Console, function: dict, path: Path, options: dict) -> int:
    """Start the table run, follow it to its end (or the timeout), say how it went and
    write the rows' results; the exit code."""
    body = {
        "function": function["id"],
        "mapping": mapping_of(options["map_pairs"]),
        "only_valid": options["only_valid"],
    }
    if options["expect_column"]:
        body.update(expect_column=options["expect_column"], expect_path=options["expect_path"])
    with path.open("rb") as table:
        started = console.request("POST", "/table-runs/upload", files={"file": (path.name, table)},
                                  data={"options": json.dumps(body)})  # fmt: skip
    link = f"{console.settings.url}{started['url']}"
    progress = started["progress"]
    show(f"table run #{started['id']}: {progress['total'] - progress['skipped']} rows queued"
         + (f", {progress['skipped']} skipped (they do not fit)" if progress["skipped"] else "")
         + f" · {link}", err=True)  # fmt: skip
    state = _followed(console, started, options["timeout"], options["quiet"])
    progress = state["progress"]
    if options["output"]:
        _write_results(console, state["id"], options["output"])
    if options["as_json"]:
        show_json(state)
    else:
        _summary(progress)
    if not progress["finished"]:
        return EXIT_STILL_RUNNING
    verdicts = progress["verdicts"]
    unsuccessful = progress["failed"] or verdicts["fail"] or verdicts["error"]
    return EXIT_RUN_UNSUCCESSFUL if unsuccessful else EXIT_OK


def _followed(console: Console, state: dict, timeout: float, quiet: bool) -> dict:
    deadline = time.monotonic() + timeout
    total = state["progress"]["total"] - state["progress"]["skipped"]
    with click.progressbar(length=total, label="rows done", file=sys.stderr,
                           hidden=quiet) as bar:  # fmt: skip
        done = 0
        while True:
            progress = state["progress"]
            bar.update(progress["done"] - done)
            done = progress["done"]
            if progress["finished"] or time.monotonic() >= deadline:
                return state
            time.sleep(POLL_SECONDS)
            state = console.request("GET", f"/table-runs/{state['id']}")


def _summary(progress: dict) -> None:
    rows = [{"what": "succeeded", "rows": progress["succeeded"]},
            {"what": "failed", "rows": progress["failed"]}]  # fmt: skip
    if progress["skipped"]:
        rows.append({"what": "not run (did not fit)", "rows": progress["skipped"]})
    verdicts = progress["verdicts"]
    if any(verdicts.values()):
        rows += [{"what": f"verdict {name}", "rows": count} for name, count in verdicts.items()
                 if count]  # fmt: skip
    show_table(rows, [("what", "ROWS"), ("rows", "COUNT")])
    rate = progress["rate_per_second"]
    show(f"{progress['done']} of {progress['total'] - progress['skipped']} done in "
         f"{progress['elapsed_seconds']:g} s ({rate:g} rows/s)")  # fmt: skip


def _write_results(console: Console, table_run_id: int, output: Path) -> None:
    """The rows' results as CSV, or JSON Lines when the file's name ends so."""
    kind = "jsonl" if output.suffix.lower() in (".jsonl", ".ndjson") else "csv"
    with output.open("wb") as file:
        for chunk in console.stream(f"/table-runs/{table_run_id}/rows.{kind}", {}):
            file.write(chunk)
    show(f"results written to {output}", err=True)


def table_options(command):
    """The options `ce run` takes for a table."""
    for option in reversed([
        click.option("--table", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="Run once per row of this CSV or JSON Lines file."),
        click.option("--map", "map_pairs", multiple=True, metavar="INPUT=COLUMN",
                     help="Take INPUT from COLUMN (by default, the column of its name)."),
        click.option("--expect-column", default="",
                     help="Judge each row: its result must equal this column."),
        click.option("--expect-path", default="",
                     help="…the result's value at this JSONPath ($.total)."),
        click.option("--only-valid", is_flag=True, help="Run the rows that fit; skip the rest."),
        click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
                     help="Write each row's result here (.csv, or .jsonl)."),
    ]):  # fmt: skip
        command = option(command)
    return command
