"""A PostgreSQL server of a test's (or a benchmark's) own, to stop, start and restart with
other settings: what a deployment's database does to the console, done to a real server
without touching the machine's shared one.

It is made with the server's own `initdb` and `pg_ctl` in a fresh folder, listens on
127.0.0.1 on a free port with trust authentication, and is removed at `destroy()`. As root
(PostgreSQL refuses to run as root) the server runs as the `postgres` user.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

_SEARCHED = ("/usr/lib/postgresql/*/bin", "/usr/local/pgsql/bin")


def server_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl, or None where the server is not installed."""
    for pattern in _SEARCHED:
        for folder in sorted(Path("/").glob(pattern.lstrip("/")), reverse=True):
            if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
                return folder
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresCluster:
    def __init__(self, *, max_connections: int = 100, database: str = "console"):
        binaries = server_binaries()
        if binaries is None:
            raise RuntimeError("PostgreSQL's initdb and pg_ctl are not installed")
        self._bin = binaries
        self.port = _free_port()
        self.database = database
        self.max_connections = max_connections
        self._folder = Path(tempfile.mkdtemp(prefix="console-pg-"))
        self.data = self._folder / "data"
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self._folder, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8")
        self.start()
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{database}"')

    def url(self, database: str | None = None) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database or self.database}"

    def start(self, **settings) -> None:
        """Start the server, with `settings` (e.g. max_connections=20) for this start."""
        settings = {"max_connections": self.max_connections, **settings}
        options = " ".join(
            [
                f"-p {self.port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self._folder}",
                "-c fsync=off",
                "-c full_page_writes=off",
                "-c synchronous_commit=off",
                *(f"-c {name}={value}" for name, value in settings.items()),
            ]
        )
        log = self._folder / "server.log"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(log), "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: "fast" ends every session, as a restart or a failover does."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self, **settings) -> None:
        self.stop()
        self.start(**settings)

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.url(), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self._folder, ignore_errors=True)

    def _run(self, program: str, *arguments: str) -> None:
        command = [str(self._bin / program), *arguments]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, cwd=self._folder)
