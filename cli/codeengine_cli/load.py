"""`ce load`: a load run from the command line, followed second by second, with a summary
and an exit code a CI job can gate on."""

import re
import sys
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path

import click

from .console import EXIT_OK, EXIT_RUN_UNSUCCESSFUL, EXIT_STILL_RUNNING
from .main import _console, _function, _inputs
from .output import show, show_json

POLL_SECONDS = 1.0
_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min)?\s*$", re.IGNORECASE)
_MILLISECONDS = {"ms": 1, "": 1000, "s": 1000, "m": 60_000, "min": 60_000}


def milliseconds(text: str, option: str, *, default_unit: str = "s") -> int:
    """`800ms`, `1.5s`, `2m` (a bare number in `default_unit`) as whole milliseconds."""
    match = _SPAN.match(text)
    if not match:
        raise click.BadParameter(
            f"{text!r} is not a time such as 800ms, 30s or 2m", param_hint=option
        )
    unit = (match.group(2) or default_unit).lower()
    return round(Decimal(match.group(1)) * _MILLISECONDS[unit])


def whole_seconds(text: str, option: str) -> int:
    value = milliseconds(text, option)
    if value % 1000:
        raise click.BadParameter(f"{text!r}: give whole seconds", param_hint=option)
    return value // 1000


def percent(text: str) -> str:
    try:
        value = Decimal(text.strip().removesuffix("%").strip())
    except InvalidOperation:
        raise click.BadParameter(
            f"{text!r} is not a percentage such as 1%", param_hint="--errors-below"
        ) from None
    return str(value)


@click.command()
@click.argument("function")
@click.option("--users", "-u", type=int, required=True, help="Virtual users calling at once.")
@click.option("--duration", "-d", help="How long: 30s, 2m.")
@click.option("--count", "-n", type=int, help="Or how many calls in all.")
@click.option("--ramp-up", default="0s", show_default=True, help="Start the users over this time.")
@click.option("--p95-below", help="Pass only if p95 latency is below this: 800ms, 1.2s.")
@click.option("--errors-below", help="Pass only if the error rate is below this: 1%.")
@click.option(
    "--input", "-i", "pairs", multiple=True, metavar="NAME=VALUE", help="An input; repeat it."
)
@click.option(
    "--inputs-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A JSON object of inputVariables (--input values override it).",
)
@click.option("--preset", default="", help="The inputs of a preset of the function instead.")
@click.option("--confirm-production", is_flag=True, help="An admin confirms a production instance.")
@click.option(
    "--timeout", type=float, help="Seconds to wait at most (default: the plan and 2 min)."
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the whole load run as JSON at the end."
)
@click.option("--quiet", "-q", is_flag=True, help="No progress lines on stderr.")
def load(function, users, duration, count, ramp_up, p95_below, errors_below, pairs, inputs_file,
         preset, confirm_production, timeout, as_json, quiet):  # fmt: skip
    """Call FUNCTION from --users virtual users for a --duration or a --count of calls, ramping
    up over --ramp-up, and print latency percentiles and outcomes as they come.

    Exits 0 when every threshold passed, 1 when one failed or the load run did not finish
    (stopped, interrupted, declined), 5 when still running at --timeout. Ctrl-C stops it."""
    if (duration is None) == (count is None):
        raise click.UsageError("Give either --duration or --count.")
    console = _console()
    definition = _function(console, function)
    body = {
        "function": definition["id"],
        "users": users,
        "ramp_up_seconds": whole_seconds(ramp_up, "--ramp-up"),
        "confirm_production": confirm_production,
    }
    if preset:
        body["preset"] = preset
    else:
        body["inputs"] = _inputs(definition, pairs, inputs_file)
    if duration is not None:
        body["duration_seconds"] = whole_seconds(duration, "--duration")
    else:
        body["total_calls"] = count
    if p95_below:
        body["p95_below_ms"] = milliseconds(p95_below, "--p95-below", default_unit="ms")
    if errors_below:
        body["errors_below_percent"] = percent(errors_below)
    started = console.request("POST", "/load-runs", json=body)
    planned = body.get("duration_seconds") or 600
    limit = timeout if timeout is not None else planned + body["ramp_up_seconds"] + 120
    if not quiet:
        show(
            f"load run #{started['id']}: {started['plan']} "
            f"({console.settings.url}{started['url']})",
            err=True,
        )
        if started.get("cap_note"):
            show(f"  {started['cap_note']}", err=True)
    try:
        finished = _follow(console, started, limit, quiet or as_json)
    except KeyboardInterrupt:
        console.request("POST", f"/load-runs/{started['id']}/stop")
        show(f"load run #{started['id']}: stopping (Ctrl-C)", err=True)
        finished = _follow(console, started, 30, True)
    if as_json:
        show_json(finished)
    else:
        _summary(finished)
    sys.exit(_exit_code(finished))


def _follow(console, load_run: dict, limit: float, quiet: bool) -> dict:
    deadline = time.monotonic() + limit
    seen, status, onset_said = -1, None, False
    while True:
        if load_run["status"] != status and not quiet:
            message = f" ({load_run['status_message']})" if load_run.get("status_message") else ""
            show(f"load run #{load_run['id']}: {load_run['status']}{message}", err=True)
            status = load_run["status"]
        for bucket in load_run["buckets"]:
            seen = max(seen, bucket["second"])
            if not quiet:
                show(_bucket_line(bucket), err=True)
            if bucket["rate_limited"] and not onset_said and not quiet:
                show(f"  429s began at {bucket['second']} s", err=True)
                onset_said = True
        if load_run["finished"] or time.monotonic() >= deadline:
            return load_run
        time.sleep(POLL_SECONDS)
        load_run = console.request("GET", f"/load-runs/{load_run['id']}", params={"since": seen})


def _ms(value) -> str:
    return "-" if value is None else f"{value:,.0f} ms"


def _bucket_line(bucket: dict) -> str:
    return (
        f"  {bucket['second']:>4}s  users {bucket['active_users']:>3}  calls {bucket['calls']:>4}"
        f"  ok {bucket['succeeded']}  failed {bucket['failed']}  429 {bucket['rate_limited']}"
        f"  errors {bucket['errors']}  p50 {_ms(bucket['p50_ms'])}  p95 {_ms(bucket['p95_ms'])}"
        f"  p99 {_ms(bucket['p99_ms'])}"
    )


def _summary(load_run: dict) -> None:
    summary = load_run.get("summary") or {}
    show(f"load run #{load_run['id']} {load_run['status']}: {load_run['plan']}")
    if summary:
        rate = summary.get("error_rate")
        onset = summary.get("first_429_second")
        show(
            f"  calls {summary['calls']}: {summary['succeeded']} ok, {summary['failed']} failed, "
            f"{summary['rate_limited']} 429, {summary['errors']} errors"
            f" (error rate {'-' if rate is None else f'{rate:g} %'})"
        )
        show(
            f"  latency p50 {_ms(summary['p50_ms'])}, p95 {_ms(summary['p95_ms'])}, "
            f"p99 {_ms(summary['p99_ms'])}; throughput {summary.get('throughput') or 0:g}/s; "
            f"429s began {'never' if onset is None else f'at {onset} s'}"
        )
        for check in summary.get("checks") or []:
            verdict = "PASS" if check["passed"] else "FAIL"
            show(f"  {verdict} {check['name']} {check['limit']}: {check['value']}")
    if load_run.get("verdict"):
        show(f"verdict: {load_run['verdict'].upper()}")


def _exit_code(load_run: dict) -> int:
    if not load_run["finished"]:
        return EXIT_STILL_RUNNING
    if load_run["status"] != "finished" or load_run.get("verdict") == "fail":
        return EXIT_RUN_UNSUCCESSFUL
    return EXIT_OK
