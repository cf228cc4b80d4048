"""The home page and the history's first page over 10,000,000 runs, on PostgreSQL only.

  dashboard_home_30d_p95_postgres_10m   GET /?range=30d  (cards, 30-day chart, lists) (ms)
  dashboard_home_p95_postgres_10m       GET /  (the 7-day default)                    (ms)
  history_first_page_p95_postgres_10m   GET /executions/                              (ms)

Each is the 95th percentile of 40 requests (after 3 that warm caches) through the real
view, logged in as a member. The target for the 30-day home page is under 100 ms.

The runs span a year up to now, about 27,000 a day, with history.py's mix of statuses,
20 functions on 2 instances and runs from the web, the API and batches. They are kept in the
PostgreSQL database codeengine_bench_home_10m and reused between runs: a partly filled
database is filled on, and a kept one topped up to the present at the same rate first.
Skipped, with a note on stderr, when PostgreSQL does not answer. The first fill takes a
quarter of an hour or so and about 8 GB of disk (runs, their indexes and the rollups).

The fill is a few INSERT ... SELECT FROM generate_series statements with the table's user
triggers (the rollups', the live pages' notifications) switched off; the rollups are then
rebuilt from scratch with migration 0015's backfill, as they are whenever their total no
longer matches the runs. Before measuring, the script checks that the 30-day chart's total
is the number of finished runs queued since the chart's first midnight.
"""

import importlib
import os
import re
import sys
import time
from datetime import timedelta
from pathlib import Path

from history import STATUSES
from shared import figure, on_postgres, percentile, setup_django_for_pages

ROOT = Path(__file__).resolve().parent.parent
ROWS = 10_000_000
YEAR = timedelta(days=365)
STEP = YEAR / ROWS  # about 3.2 s between runs, 27,400 a day
CHUNK = 1_000_000  # runs per INSERT statement (and transaction)
TOP_UP_THROUGH_TRIGGERS = 100_000  # more missing runs than this are filled in bulk
SAMPLES = 40
WARM_UP = 3
POSTGRES_DATABASE = "codeengine_bench_home_10m"
INSTANCES = ("acme", "acme-dev")
FUNCTIONS = 20
USERS = 10
SOURCES = ["form"] * 5 + ["api"] * 3 + ["batch"] * 2

# One row per n, queued at %(start)s + (n - %(first)s) * %(step)s. The inner query draws
# each run's random choices once (a subquery with volatile columns is not flattened).
INSERT_SQL = """
INSERT INTO runs_execution (
    function_id, instance_id, instance_name, package_id, version, function_name,
    token_label, input_variables, get_logs, requested_by_id, source, api_key_name, batch_id,
    status, http_status, domo_execution_id, result, stdout_log, stderr_log,
    error_information, error_message, error_code, domo_started_on, domo_completed_on,
    domo_started_by, queued_at, started_at, call_sent_at, finished_at, duration, task_id,
    worker_id, story, queue_priority, attempts)
SELECT
    (%(function_ids)s::bigint[])[r.function_pick],
    (%(instance_ids)s::bigint[])[r.function_pick],
    (%(instance_names)s::text[])[r.function_pick],
    (%(package_ids)s::text[])[r.function_pick],
    (%(versions)s::text[])[r.function_pick],
    (%(function_names)s::text[])[r.function_pick],
    'Bench token',
    ('{"customer": "C-' || r.customer || '", "region": "' || r.region
     || '", "amount": ' || r.amount || ', "tags": ' || r.tags
     || ', "options": {"dryRun": ' || r.dry_run || ', "limit": ' || r.item_limit || '}}')::json,
    true,
    (%(user_ids)s::int[])[r.user_pick],
    r.source,
    CASE WHEN r.source = 'form' THEN '' ELSE 'Bench key' END,
    CASE WHEN r.source = 'batch' THEN md5('batch-' || (r.n / 500))::uuid END,
    r.status,
    CASE WHEN r.status IN ('error', 'interrupted') THEN NULL ELSE 200 END,
    'exec-' || r.n,
    CASE WHEN r.status = 'SUCCESS' THEN
        ('{"ok": true, "count": ' || r.result_count || ', "items": ['
         || array_to_string(array_fill('{"id": ' || r.customer || ', "label": "item", '
                                       || '"score": 0.' || r.item_limit || '}', ARRAY[r.items]),
                            ', ')
         || ']}')::json
    END,
    (ARRAY['[]', '["step 0"]', '["step 0", "step 1"]',
           '["step 0", "step 1", "step 2"]'])[1 + r.steps]::json,
    (CASE WHEN r.warned THEN '["warning: slow lookup"]' ELSE '[]' END)::json,
    CASE WHEN r.status IN ('FAILED', 'RESULT_TYPE_FAILURE') THEN
        ('{"errorMessages": ["Error ' || (1 + r.item_limit %% 99) || ': lookup failed"], '
         || '"expectedType": "object", "actualType": "text"}')::json
    END,
    CASE WHEN r.status = 'error' THEN 'Code Engine failed with HTTP 502.' ELSE '' END,
    CASE WHEN r.status = 'error' THEN 'upstream_error' ELSE '' END,
    r.queued_at, r.queued_at + r.duration, '1001',
    r.queued_at, r.queued_at, r.queued_at, r.queued_at + r.duration, r.duration,
    '', '', '[]'::json,
    CASE WHEN r.source = 'batch' THEN 0 ELSE 10 END,
    1
FROM (
    SELECT
        n,
        %(start)s::timestamptz + (n - %(first)s) * %(step)s::interval AS queued_at,
        1 + floor(random() * %(function_count)s)::int AS function_pick,
        1 + floor(random() * %(user_count)s)::int AS user_pick,
        (%(statuses)s::text[])[1 + floor(random() * %(status_count)s)::int] AS status,
        (%(sources)s::text[])[1 + floor(random() * %(source_count)s)::int] AS source,
        (80 + floor(random() * 19921)) * interval '1 millisecond' AS duration,
        1000 + floor(random() * 99000)::int AS customer,
        (ARRAY['EMEA', 'AMER', 'APAC'])[1 + floor(random() * 3)::int] AS region,
        round((1 + random() * 9999)::numeric, 2) AS amount,
        (ARRAY['[]', '["rush"]', '["vip", "trial"]',
               '["renewal", "partner", "rush"]'])[1 + floor(random() * 4)::int] AS tags,
        random() < 0.3 AS dry_run,
        1 + floor(random() * 500)::int AS item_limit,
        floor(random() * 4)::int AS steps,
        random() < 0.1 AS warned,
        floor(random() * 5000)::int AS result_count,
        1 + floor(random() * 3)::int AS items
    FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS n
) AS r
"""


def main() -> None:
    if os.environ.get("BENCH_DATABASE_URL"):
        measure(os.environ["BENCH_SUFFIX"] + "_10m")
        return
    on_postgres(__file__, POSTGRES_DATABASE)


def measure(suffix: str) -> None:
    setup_django_for_pages(ROOT)
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    catalog = bench_catalog()
    stored = count_runs()
    if stored < ROWS:
        fill(stored, catalog)
    top_up(catalog)
    if not rollups_match_runs():
        rebuild_rollups()
    user = get_user_model().objects.get(username="bench-user-0")
    user.groups.add(Group.objects.get_or_create(name="member")[0])
    client = Client()
    client.force_login(user)
    check_30_day_total(client)
    pages = {
        "dashboard_home_30d": ("/?range=30d", b"bar-success"),
        "dashboard_home": ("/", b"bar-success"),
        "history_first_page": ("/executions/", b"execution-row-"),
    }
    for name, (url, expected) in pages.items():
        timings = [timed_get(client, url, expected) for _ in range(WARM_UP + SAMPLES)]
        figure(f"{name}_p95{suffix}", percentile(timings[WARM_UP:], 0.95), "ms")


def timed_get(client, url: str, expected: bytes) -> float:
    started = time.perf_counter()
    response = client.get(url, secure=True)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200 and expected in response.content, url
    return elapsed


def bench_catalog() -> dict:
    """The users, instances and functions the runs belong to, as INSERT_SQL's arrays."""
    from django.contrib.auth import get_user_model

    from codeengine_ui.catalog.models import Function, Instance

    users = [
        get_user_model().objects.get_or_create(username=f"bench-user-{n}")[0] for n in range(USERS)
    ]
    instances = [
        Instance.objects.get_or_create(name=name, defaults={"display_name": name})[0]
        for name in INSTANCES
    ]
    functions = []
    for index in range(FUNCTIONS):
        function, _ = Function.objects.get_or_create(
            instance=instances[index % len(instances)],
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
    return {
        "function_ids": [function.pk for function in functions],
        "instance_ids": [function.instance_id for function in functions],
        "instance_names": [function.instance.name for function in functions],
        "package_ids": [function.package_id for function in functions],
        "versions": [function.version for function in functions],
        "function_names": [function.function_name for function in functions],
        "function_count": len(functions),
        "user_ids": [user.pk for user in users],
        "user_count": len(users),
        "statuses": STATUSES,
        "status_count": len(STATUSES),
        "sources": SOURCES,
        "source_count": len(SOURCES),
    }


def count_runs() -> int:
    from codeengine_ui.runs.models import Execution

    return Execution.objects.count()


def fill(stored: int, catalog: dict) -> None:
    """Runs number `stored` to ROWS - 1 of a year of runs ending now (or, filling on, of the
    year the stored runs began), in bulk, then the rollups rebuilt."""
    from django.db.models import Min
    from django.utils import timezone

    from codeengine_ui.runs.models import Execution

    oldest = Execution.objects.aggregate(oldest=Min("queued_at"))["oldest"]
    year_start = oldest if stored else timezone.now() - YEAR
    print(f"Filling PostgreSQL with {ROWS - stored:,} runs (once)...", file=sys.stderr)
    started = time.perf_counter()
    for first in range(stored, ROWS, CHUNK):
        last = min(first + CHUNK, ROWS) - 1
        insert_runs(catalog, year_start + STEP * first, first, last, triggers=False)
        print(f"  {last + 1:,} runs ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    rebuild_rollups()


def top_up(catalog: dict) -> None:
    """Runs from the newest stored one up to now, at the year's rate: through the triggers,
    as runs arrive, unless so many are missing that a bulk fill is quicker."""
    from django.db.models import Max
    from django.utils import timezone

    from codeengine_ui.runs.models import Execution

    newest = Execution.objects.aggregate(newest=Max("queued_at"))["newest"]
    missing = int((timezone.now() - newest) / STEP)
    if missing <= 0:
        return
    through_triggers = missing <= TOP_UP_THROUGH_TRIGGERS
    print(f"Topping up {missing:,} runs to the present...", file=sys.stderr)
    first = count_runs()
    insert_runs(catalog, newest + STEP, first, first + missing - 1, triggers=through_triggers)
    if not through_triggers:
        rebuild_rollups()


def insert_runs(catalog: dict, start, first: int, last: int, *, triggers: bool) -> None:
    from django.db import connection, transaction

    parameters = {**catalog, "start": start, "first": first, "last": last, "step": STEP}
    with transaction.atomic(), connection.cursor() as cursor:
        if not triggers:
            # Row by row, the rollups' triggers would take hours over millions of runs.
            cursor.execute("ALTER TABLE runs_execution DISABLE TRIGGER USER")
        cursor.execute("SELECT setseed(%s)", [(first % 1000) / 1000])
        cursor.execute(INSERT_SQL, parameters)
        if not triggers:
            # The foreign keys are checked now rather than at commit: a table with checks
            # pending cannot be altered.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE runs_execution ENABLE TRIGGER USER")


def rollups_match_runs() -> bool:
    """Whether the rollups count as many finished runs as the table holds."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT coalesce(sum(runs), 0) FROM runs_runhour WHERE status <> 'retried'),"
            " (SELECT count(*) FROM runs_execution WHERE status NOT IN ('queued', 'running'))"
        )
        rolled_up, finished = cursor.fetchone()
    return rolled_up == finished


def rebuild_rollups() -> None:
    """The rollups counted again from the runs, as migrations 0015 and 0016 first counted
    them, then
    the statistics and visibility map autovacuum would leave after the fill."""
    from django.db import connection, transaction

    hourly = importlib.import_module("codeengine_ui.runs.migrations.0015_rollups")._backfill
    totals = importlib.import_module("codeengine_ui.runs.migrations.0016_rollup_totals").BACKFILL
    print("Rebuilding the rollups from the runs...", file=sys.stderr)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE runs_runhour, runs_durationhour, runs_runtotal, runs_durationtotal,"
            " runs_statushour"
        )
        for statement in [*hourly("postgresql"), *totals]:
            cursor.execute(statement)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"  rebuilt and vacuumed ({time.perf_counter() - started:.0f} s)", file=sys.stderr)


def check_30_day_total(client) -> None:
    """The 30-day chart's total against the runs themselves: it counts the finished runs
    (and those in flight: none here) queued from midnight 29 days ago. The runs of the
    last 30 days to the second are said too: more, by the hours before that midnight."""
    from django.db import connection
    from django.utils import timezone

    from codeengine_ui.dashboard.stats import bucket_bounds

    response = client.get("/?range=30d", secure=True)
    shown = re.search(rb"Runs per day by outcome: (\d+) in all", response.content)
    assert shown, "the 30-day chart's title"
    first_midnight = bucket_bounds("30d", timezone.now())[0][0]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE queued_at >= %(midnight)s),"
            " count(*) FILTER (WHERE queued_at >= now() - interval '30 days'),"
            " extract(epoch FROM %(midnight)s - (now() - interval '30 days'))"
            " FROM runs_execution"
            " WHERE queued_at >= least(%(midnight)s, now() - interval '30 days')"
            " AND status NOT IN ('queued', 'running')",
            {"midnight": first_midnight},
        )
        since_first_midnight, last_30_days, seconds_before = cursor.fetchone()
    print(
        f"30-day chart: {int(shown[1]):,} runs shown; {since_first_midnight:,} finished runs "
        f"queued since its first midnight ({first_midnight:%Y-%m-%d %H:%M %Z}); "
        f"{last_30_days:,} since now() - 30 days, {last_30_days - since_first_midnight:,} more "
        f"for the {float(seconds_before) / 3600:.1f} hours before that midnight (about "
        f"{float(seconds_before) / STEP.total_seconds():,.0f} at the fill's rate)",
        file=sys.stderr,
    )
    assert int(shown[1]) == since_first_midnight, "the 30-day chart's total"


if __name__ == "__main__":
    main()
