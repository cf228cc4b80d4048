"""History benchmark: the history page over 1,000,000 executions, through the real view.

  history_first_page_p95      GET /executions/                           (ms)
  history_filtered_page_p95   GET /executions/?function=..&status=FAILED (ms)
  history_page_500_p95        GET /executions/?before=<id of row 25,000> (ms)
  dashboard_home_p95          GET /  (cards, 7-day chart, lists)         (ms)
  dashboard_home_30d_p95      GET /?range=30d                            (ms)
  history_page_with_names_p95 GET /executions/ with the key inputs declared as a person and
                              a group, each shown by its kept name, read with a token
                              granted to the member who looks (ms)
  metrics_scrape_ms           GET /metrics with the scraper's token: the counters and the
                              duration histogram from the rollups, the gauges (p95, ms)

for SQLite, then the same names ending _postgres for PostgreSQL (skipped, with a note on
stderr, when it does not answer). The filled databases are kept and reused between runs:
var/bench-history.sqlite3 and the PostgreSQL database codeengine_bench_history. The runs
span a year up to now: a reused database is topped up to the present at the same rate
first, so the home page's "today" and "last 7 days" hold a realistic number of runs.
"""

import contextlib
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

from shared import on_each_database, setup_django_for_pages

ROOT = Path(__file__).resolve().parent.parent
ROWS = 1_000_000
INSERT_BATCH = 10_000
YEAR = timedelta(days=365)
SAMPLES = 40
POSTGRES_DATABASE = "codeengine_bench_history"
STATUSES = (
    ["SUCCESS"] * 85 + ["FAILED"] * 8 + ["RESULT_TYPE_FAILURE"] * 3 + ["error"] * 2
    + ["OUTPUT_UNDEFINED", "interrupted"]
)  # fmt: skip


def main() -> None:
    if os.environ.get("BENCH_DATABASE_URL"):
        measure(os.environ["BENCH_SUFFIX"])
        return
    on_each_database(__file__, ROOT / "var" / "bench-history.sqlite3", POSTGRES_DATABASE)


def measure(suffix: str) -> None:
    setup_django_for_pages(ROOT)
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from codeengine_ui.runs.models import Execution

    if Execution.objects.count() < ROWS:
        fill()
    top_up()
    user = get_user_model().objects.get(username="bench-user-0")
    # A member, who is shown the names read with the tokens granted to them (the tokens
    # they may use are read once per page).
    user.groups.add(Group.objects.get_or_create(name="member")[0])
    client = Client()
    client.force_login(user)
    busiest = (
        Execution.objects.filter(status="FAILED").values("function").order_by().first()["function"]
    )
    row_25000 = Execution.objects.order_by("-id").values_list("id", flat=True)[25_000]
    pages = {
        "history_filtered_page": (
            f"/executions/?function={busiest}&status=FAILED",
            b"execution-row-",
        ),
        "history_page_500": (f"/executions/?before={row_25000}", b"execution-row-"),
        "dashboard_home": ("/", b"bar-success"),
        "dashboard_home_30d": ("/?range=30d", b"bar-success"),
    }
    # The first page with and without names, sample by sample in turn, so that both
    # figures meet the same machine (its other load comes and goes).
    plain, named = [], []
    for attempt in range(SAMPLES + 3):
        for declared, timings, expected in ((False, plain, b"customer: C-"),
                                            (True, named, b"customer: Customer ")):  # fmt: skip
            with key_inputs_named(declared):
                elapsed = timed_get(client, "/executions/", expected)
            if attempt >= 3:  # the first requests warm caches
                timings.append(elapsed)
    print(f"history_first_page_p95{suffix} {p95(plain):.1f} ms", flush=True)
    for name, (url, expected) in pages.items():
        timings = [timed_get(client, url, expected) for _attempt in range(SAMPLES + 3)][3:]
        print(f"{name}_p95{suffix} {p95(timings):.1f} ms", flush=True)
    print(f"history_page_with_names_p95{suffix} {p95(named):.1f} ms", flush=True)
    print(f"metrics_scrape_ms{suffix} {p95(scrapes()):.1f} ms", flush=True)


def scrapes() -> list[float]:
    """GET /metrics as Prometheus sends it, timed; its runs must be every finished run."""
    from django.test import Client, override_settings
    from prometheus_client.parser import text_string_to_metric_families

    from codeengine_ui.runs.models import Execution

    client = Client()
    bearer = {"Authorization": "Bearer bench-metrics-token"}
    with override_settings(METRICS_TOKEN="bench-metrics-token"):
        timings = [
            timed_get(client, "/metrics", b"ce_runs_total", bearer)
            for _attempt in range(SAMPLES + 3)
        ][3:]
        body = client.get("/metrics", secure=True, headers=bearer).content.decode()
    counted = sum(
        sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
        if sample.name == "ce_runs_total"
    )
    finished = Execution.objects.exclude(status__in=["queued", "running"]).count()
    assert counted == finished, f"/metrics counts {counted:,} runs, the table {finished:,}"
    return timings


def timed_get(client, url: str, expected: bytes, headers: dict | None = None) -> float:
    started = time.perf_counter()
    response = client.get(url, secure=True, headers=headers)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200 and expected in response.content, url
    return elapsed


def p95(timings: list[float]) -> float:
    return statistics.quantiles(timings, n=20)[-1]


@contextlib.contextmanager
def key_inputs_named(declared_as_named: bool = True):
    """The functions' key inputs declared as a person (customer) and a group (region), with
    the names of every customer and region kept (most resolving, some no longer) with a
    token granted to bench-user-0, as the hourly job leaves them; the declarations are put
    back afterwards. With False, the functions keep no declaration (the ids are shown as
    they are)."""
    from django.contrib.auth import get_user_model

    from codeengine_ui.catalog.models import AccessToken, DirectoryName, Function, Instance

    declared = [
        {"name": "customer", "type": "person", "isList": False, "nullable": False,
         "children": None, "description": "", "value": None},
        {"name": "region", "type": "group", "isList": False, "nullable": False,
         "children": None, "description": "", "value": None},
    ]  # fmt: skip
    for instance in Instance.objects.all():
        if DirectoryName.objects.filter(instance=instance).exists():
            continue
        token = AccessToken.objects.filter(instance=instance, label="Bench token").first()
        if token is None:
            token = AccessToken(instance=instance, label="Bench token")
            token.set_token("bench-token-not-sent-anywhere")
            token.save()
        token.granted_users.add(get_user_model().objects.get(username="bench-user-0"))
        rows = [
            DirectoryName(instance=instance, token=token, kind="person", entity_id=f"C-{number}",
                          name=f"Customer {number}", detail=f"c{number}@acme.example",
                          resolved=number % 10 != 0)
            for number in range(1000, 100_000)
        ] + [
            DirectoryName(instance=instance, token=token, kind="group", entity_id=region,
                          name=f"{region} team")
            for region in ("EMEA", "AMER", "APAC")
        ]  # fmt: skip
        DirectoryName.objects.bulk_create(rows, batch_size=5000)
    Function.objects.update(parameters=declared if declared_as_named else [])
    try:
        yield
    finally:
        Function.objects.update(parameters=[])


def fill() -> None:
    """Bulk-insert ROWS executions with realistic payloads over the last year, oldest first."""
    from django.db import connection
    from django.utils import timezone

    from codeengine_ui.runs.models import Execution

    print(f"Filling {connection.vendor} with {ROWS:,} executions (once)...", file=sys.stderr)
    Execution.objects.all().delete()
    insert_runs(timezone.now() - YEAR, ROWS, random.Random(42))


def top_up() -> None:
    """Runs from the newest stored one up to now, at the year's rate."""
    from django.db.models import Max
    from django.utils import timezone

    from codeengine_ui.runs.models import Execution

    newest = Execution.objects.aggregate(newest=Max("queued_at"))["newest"]
    missing = int((timezone.now() - newest) / (YEAR / ROWS))
    if missing > 0:
        print(f"Topping up {missing:,} executions to the present...", file=sys.stderr)
        insert_runs(newest + YEAR / ROWS, missing, random.Random(missing))


def insert_runs(start, count: int, rng: random.Random) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from codeengine_ui.catalog.models import Function, Instance
    from codeengine_ui.runs.models import Execution

    users = [
        get_user_model().objects.get_or_create(username=f"bench-user-{n}")[0] for n in range(10)
    ]
    instances = [
        Instance.objects.get_or_create(name=name, defaults={"display_name": name})[0]
        for name in ("acme", "acme-dev", "acme-test")
    ]
    functions = []
    for index in range(20):
        function, _ = Function.objects.get_or_create(
            instance=instances[index % 3],
            package_id=f"pkg-{index // 4}",
            version=f"1.{index % 4}.0",
            function_name=f"function{index}",
            defaults={
                "display_name": f"Function {index}",
                "key_inputs": ["customer", "region"],
                "parameters": [],
            },
        )
        functions.append(function)
    fields = [f for f in Execution._meta.concrete_fields if f.name != "id"]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    table = connection.ops.quote_name(Execution._meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608 (model names)
    step = YEAR / ROWS
    for offset in range(0, count, INSERT_BATCH):
        rows = []
        for number in range(offset, min(offset + INSERT_BATCH, count)):
            record = _record(rng, number, start + step * number, functions, users)
            # Each field adapts its own value, as the ORM would (datetimes, JSON, durations);
            # a field the record leaves out takes its default.
            rows.append(
                tuple(
                    f.get_db_prep_value(record.get(f.attname, f.get_default()), connection)
                    for f in fields
                )
            )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, rows)
    with connection.cursor() as cursor:
        # What autovacuum does after a burst of inserts: statistics and the visibility map.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def _record(rng: random.Random, number: int, queued_at, functions, users) -> dict:
    function = rng.choice(functions)
    status = rng.choice(STATUSES)
    duration = timedelta(milliseconds=rng.randint(80, 20_000))
    inputs = {
        "customer": f"C-{rng.randint(1000, 99999)}",
        "region": rng.choice(["EMEA", "AMER", "APAC"]),
        "amount": round(rng.uniform(1, 10_000), 2),
        "tags": rng.sample(["rush", "vip", "trial", "renewal", "partner"], k=rng.randint(0, 3)),
        "options": {"dryRun": rng.random() < 0.3, "limit": rng.randint(1, 500)},
    }
    result = None
    error_information = None
    if status == "SUCCESS":
        result = {
            "ok": True,
            "count": rng.randint(0, 5000),
            "items": [
                {"id": rng.randint(1, 10**6), "label": f"item {n}", "score": rng.random()}
                for n in range(rng.randint(1, 6))
            ],
        }
    elif status in ("FAILED", "RESULT_TYPE_FAILURE"):
        error_information = {
            "errorMessages": [f"Error {rng.randint(1, 99)}: lookup failed"],
            "expectedType": "object",
            "actualType": "text",
        }
    return {
        "function_id": function.pk,
        "instance_id": function.instance_id,
        "instance_name": f"acme-{function.instance_id}",
        "package_id": function.package_id,
        "version": function.version,
        "function_name": function.function_name,
        "token_id": None,
        "token_label": "Bench token",
        "input_variables": inputs,
        "get_logs": True,
        "requested_by_id": rng.choice(users).pk,
        "idempotency_key": None,
        "status": status,
        "http_status": None if status in ("error", "interrupted") else 200,
        "domo_execution_id": f"exec-{number}",
        "result": result,
        "stdout_log": [f"step {n}" for n in range(rng.randint(0, 4))],
        "stderr_log": ["warning: slow lookup"] if rng.random() < 0.1 else [],
        "error_information": error_information,
        "error_message": "Code Engine failed with HTTP 502." if status == "error" else "",
        "error_code": "upstream_error" if status == "error" else "",
        "domo_started_on": queued_at,
        "domo_completed_on": queued_at + duration,
        "domo_started_by": "1001",
        "queued_at": queued_at,
        "started_at": queued_at,
        "finished_at": queued_at + duration,
        "duration": duration,
        "task_id": "",
        "worker_id": "",
    }


if __name__ == "__main__":
    main()
