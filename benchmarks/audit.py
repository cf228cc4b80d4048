"""Audit log benchmark: the audit log page over 100,000 events, through the real view.

  audit_page_p95               GET /audit/                                   (ms)
  audit_page_action_p95        GET /audit/?action=token_tested               (ms)
  audit_page_actor_p95         GET /audit/?actor=bench-admin-3               (ms)
  audit_page_target_p95        GET /audit/?target=sales                      (ms)
  audit_page_target_rare_p95   GET /audit/?target=<matches one event>        (ms)
  audit_page_dates_p95         GET /audit/?since=..&until=.. (a week)        (ms)
  audit_page_all_filters_p95   action, person, target and a month together   (ms)
  audit_page_500_p95           GET /audit/?before=<id of event 50,000>       (ms)

for SQLite, then the same names ending _postgres for PostgreSQL (skipped, with a note on
stderr, when it does not answer). The filled databases are kept and reused between runs:
var/bench-audit.sqlite3 and the PostgreSQL database codeengine_bench_audit.
"""

import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

from shared import figure, on_each_database, percentile, setup_django_for_pages

ROOT = Path(__file__).resolve().parent.parent

EVENTS = 100_000
INSERT_BATCH = 5_000
YEAR = timedelta(days=365)
SAMPLES = 40
WARM_UP = 3
POSTGRES_DATABASE = "codeengine_bench_audit"
ADMINS = [f"bench-admin-{n}" for n in range(12)]
RARE_TARGET = "token Rarely Touched on Acme"


def main() -> None:
    if os.environ.get("BENCH_DATABASE_URL"):
        measure(os.environ["BENCH_SUFFIX"])
        return
    on_each_database(__file__, ROOT / "var" / "bench-audit.sqlite3", POSTGRES_DATABASE)


def measure(suffix: str) -> None:
    setup_django_for_pages(ROOT)
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from codeengine_ui.access.models import AuditEvent

    if AuditEvent.objects.count() < EVENTS:
        fill()
    reader, _ = get_user_model().objects.get_or_create(
        username="bench-reader", defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client()
    client.force_login(reader)
    today = timezone.localdate()
    week = (today - timedelta(days=120), today - timedelta(days=113))
    month = (today - timedelta(days=200), today - timedelta(days=170))
    middle = AuditEvent.objects.order_by("-id").values_list("id", flat=True)[EVENTS // 2]
    pages = {
        "audit_page": "/audit/",
        "audit_page_action": "/audit/?action=token_tested",
        "audit_page_actor": f"/audit/?actor={ADMINS[3]}",
        "audit_page_target": "/audit/?target=sales",
        "audit_page_target_rare": "/audit/?target=rarely+touched",
        "audit_page_dates": f"/audit/?since={week[0]}&until={week[1]}",
        "audit_page_all_filters": (
            f"/audit/?action=function_changed&actor={ADMINS[5]}&target=function"
            f"&since={month[0]}&until={month[1]}"
        ),
        "audit_page_500": f"/audit/?before={middle}",
    }
    for name, url in pages.items():
        timings = [timed_get(client, url) for _attempt in range(SAMPLES + WARM_UP)][WARM_UP:]
        figure(f"{name}_p95{suffix}", percentile(timings, 0.95), "ms")


def timed_get(client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url, secure=True)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200 and b'id="audit-event-' in response.content, url
    return elapsed


def fill() -> None:
    """EVENTS audit rows over the last year, oldest first, as the console records them: a
    team's token, function, suite and user changes, token tests, bursts of failed logins."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from codeengine_ui.access.models import AuditEvent

    print(f"Filling {connection.vendor} with {EVENTS:,} audit events (once)...", file=sys.stderr)
    AuditEvent.objects.all().delete()
    users = {name: get_user_model().objects.get_or_create(username=name)[0].pk for name in ADMINS}
    rng = random.Random(7)
    fields = [f for f in AuditEvent._meta.concrete_fields if f.name != "id"]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608 (model names)
    start, step = timezone.now() - YEAR, YEAR / EVENTS
    for offset in range(0, EVENTS, INSERT_BATCH):
        rows = []
        for number in range(offset, min(offset + INSERT_BATCH, EVENTS)):
            event = _event(rng, number, start + step * number, users)
            rows.append(
                tuple(
                    f.get_db_prep_value(event.get(f.attname, f.get_default()), connection)
                    for f in fields
                )
            )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, rows)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


TOKENS = ["Sales", "Finance", "Ops", "Marketing", "Support", "Data team"]
FUNCTIONS = ["greet", "summariseOrder", "addNumbers", "averageOf", "failWithError"]


def _event(rng: random.Random, number: int, at, users: dict) -> dict:
    actor = rng.choice(ADMINS)
    token = f"{rng.choice(TOKENS)} on Acme (••••{rng.randint(1000, 9999)})"
    function = f"function {rng.choice(FUNCTIONS)} 1.{rng.randint(0, 9)}.0 on acme"
    parameters = [
        {"name": f"input{n}", "type": "text", "isList": False, "nullable": False,
         "children": None, "description": "An input of the function", "value": None}
        for n in range(rng.randint(1, 8))
    ]  # fmt: skip
    kind = rng.random()
    if number == EVENTS // 3:
        action, target, details = "token_rotated", RARE_TARGET, {}
    elif kind < 0.25:
        action, target = "token_tested", token
        details = {"ok": rng.random() < 0.9, "result": "Acts as Demo Developer (1001)"}
    elif kind < 0.40:
        action, target = "function_changed", function
        replaced = f"{rng.choice(TOKENS)} on Acme (••••1234)"
        details = {"parameters": [parameters[:-1], parameters], "default_token": [token, replaced]}
    elif kind < 0.50:
        action, target = "function_created", function
        details = {"instance": 1, "package_id": "pkg", "version": "1.0.0",
                   "function_name": rng.choice(FUNCTIONS), "parameters": parameters}  # fmt: skip
    elif kind < 0.60:
        action, target = "token_granted", token
        before = {"all_members": False, "users": ["ada"], "groups": []}
        details = {"before": before, "after": {**before, "users": ["ada", "bob"]}}
    elif kind < 0.70:
        action, target = "login_failed", f"username '{rng.choice(['root', 'admin', 'ada'])}'"
        actor, details = None, {"usernames": ["root", "admin"]}
    elif kind < 0.80:
        action, target = "role_changed", f"user teammate-{rng.randint(1, 300)}"
        details = {"added": [rng.choice(["viewer", "member", "admin"])]}
    elif kind < 0.90:
        action, target = "monitor_changed", f"suite Nightly {rng.randint(1, 40)}"
        details = {"every_minutes": [15, 30]}
    else:
        action, target = "runs_pruned", f"{rng.randint(10, 9000)} runs queued before {at:%Y-%m-%d}"
        actor, details = None, {"runs": rng.randint(10, 9000), "older_than_days": 90}
    address = (
        f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        if rng.random() < 0.8
        else f"2001:db8:85a3::8a2e:{rng.randint(0, 65535):x}:{rng.randint(0, 65535):x}"
    )
    return {
        "at": at,
        "actor_id": users[actor] if actor else None,
        "actor_name": actor or "",
        "action": action,
        "target": target,
        "details": details,
        "ip_address": address if actor or action == "login_failed" else None,
        "repeated": rng.randint(2, 40) if action == "login_failed" else 1,
        "last_at": at,
    }


if __name__ == "__main__":
    main()
