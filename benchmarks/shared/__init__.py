"""What every benchmark script prints its figures with (imported from the scripts' folder,
which Python puts first on the path when a script runs), and how the page benchmarks
set up a filled database on each engine."""

import os
import subprocess
import sys
from pathlib import Path


def figure(name: str, value: float, unit: str) -> None:
    """One figure as `make bench` prints it: `name value unit`."""
    print(f"{name} {value:.1f} {unit}", flush=True)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


# --- Page benchmarks over a filled database, on SQLite and then PostgreSQL ----------------

POSTGRES_SERVER = "postgres://postgres@127.0.0.1:5432"


def on_each_database(script: str, sqlite_path: Path, postgres_database: str) -> None:
    """Run `script` again in a process of its own for SQLite at `sqlite_path`, then for
    PostgreSQL's `postgres_database` (made when missing; skipped, said on stderr, when the
    server does not answer). The process finds BENCH_DATABASE_URL and BENCH_SUFFIX ("" or
    "_postgres", for its figures' names) in its environment."""
    _run_on(script, f"sqlite:///{sqlite_path}", "")
    on_postgres(script, postgres_database)


def on_postgres(script: str, postgres_database: str) -> None:
    """Run `script` again in a process of its own for PostgreSQL's `postgres_database` only
    (made when missing; skipped, said on stderr, when the server does not answer), with
    BENCH_DATABASE_URL and BENCH_SUFFIX ("_postgres") in its environment."""
    if _postgres_ready(postgres_database):
        _run_on(script, f"{POSTGRES_SERVER}/{postgres_database}", "_postgres")


def _run_on(script: str, database_url: str, suffix: str) -> None:
    environment = {**os.environ, "BENCH_DATABASE_URL": database_url, "BENCH_SUFFIX": suffix}
    root = Path(script).resolve().parent.parent
    subprocess.run([sys.executable, script], env=environment, check=True, cwd=root)


def _postgres_ready(database: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(
            f"{POSTGRES_SERVER}/postgres", connect_timeout=3, autocommit=True
        ) as connection:
            exists = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [database]
            ).fetchone()
            if not exists:
                connection.execute(f'CREATE DATABASE "{database}"')
    except psycopg.Error as error:
        print(
            f"PostgreSQL does not answer at {POSTGRES_SERVER} ({error}); the _postgres "
            "figures are skipped.",
            file=sys.stderr,
        )
        return False
    return True


def setup_django_in_memory(root: Path) -> None:
    """Django with production settings and an in-memory database, for figures that read
    no stored data (forms, schemas)."""
    from cryptography.fernet import Fernet

    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "codeengine_ui.settings",
            "DEBUG": "0",
            "SECRET_KEY": "benchmark-only-secret",
            "DATABASE_URL": "sqlite://:memory:",
            "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        }
    )
    sys.path.insert(0, str(root))
    import django

    django.setup()


def setup_django_for_pages(root: Path) -> None:
    """Django with production settings on BENCH_DATABASE_URL, migrated, pages served as a
    deployment serves them (static files collected under var/bench-static)."""
    from cryptography.fernet import Fernet

    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "codeengine_ui.settings",
            "DEBUG": "0",
            "SECRET_KEY": "benchmark-only-secret",
            "ALLOWED_HOSTS": "testserver",
            "DATABASE_URL": os.environ["BENCH_DATABASE_URL"],
            "LOG_LEVEL": "WARNING",
            "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "STATIC_ROOT": str(root / "var" / "bench-static"),
        }
    )
    sys.path.insert(0, str(root))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # production storage
