"""The console's API, as the command line uses it: where it is, the key, and the calls.

Knows nothing of Django: a small httpx client that turns problem documents into
`ConsoleError`s with the exit code they mean.
"""

import json
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

# Exit codes (documented in the README and `ce --help`).
EXIT_OK = 0
EXIT_RUN_UNSUCCESSFUL = 1
EXIT_USAGE = 2
EXIT_REFUSED = 3
EXIT_UNREACHABLE = 4
EXIT_STILL_RUNNING = 5


class ConsoleError(Exception):
    """The console refused or could not be reached; `exit_code` says which."""

    def __init__(self, message: str, exit_code: int, problem: dict | None = None):
        super().__init__(message)
        self.exit_code = exit_code
        self.problem = problem or {}


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "codeengine-console" / "config.json"


@dataclass
class Settings:
    url: str
    key: str


def save_settings(url: str, key: str) -> Path:
    """Store the console's address and the key, readable by this user only (0600)."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump({"url": url.rstrip("/"), "key": key}, file)
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
    return path


def load_settings() -> Settings:
    """CE_URL and CE_KEY from the environment (for CI), else what `ce login` stored."""
    url, key = os.environ.get("CE_URL", ""), os.environ.get("CE_KEY", "")
    if not (url and key):
        try:
            stored = json.loads(config_path().read_text())
        except (OSError, ValueError):
            stored = {}
        url, key = url or stored.get("url", ""), key or stored.get("key", "")
    if not (url and key):
        raise ConsoleError(
            "Not logged in: run `ce login URL` (or set CE_URL and CE_KEY).", EXIT_USAGE
        )
    return Settings(url.rstrip("/"), key)


def segment(text: str) -> str:
    """A name as one segment of an address: `/`, `?` and `#` in it stay part of it."""
    return quote(str(text), safe="")


class Console:
    def __init__(self, settings: Settings, timeout: float = 90):
        self.settings = settings
        self.http = httpx.Client(
            base_url=f"{settings.url}/api/v1",
            headers={
                "Authorization": f"Bearer {settings.key}",
                "X-Console-Client": "cli",
                "Accept": "application/json",
            },
            timeout=timeout,
        )
        # Seconds the last answer asked to wait before asking again (it could not wait).
        self.retry_after = 0.0

    def request(self, method: str, path: str, **kwargs) -> Any:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.InvalidURL as error:
            raise ConsoleError(
                f"This cannot be asked of the console: {error}.", EXIT_USAGE
            ) from None
        except httpx.HTTPError as error:
            raise ConsoleError(
                f"Could not reach the console at {self.settings.url}: {error}", EXIT_UNREACHABLE
            ) from None
        if response.is_success:
            retry_after = response.headers.get("Retry-After", "")
            self.retry_after = float(retry_after) if retry_after.isdigit() else 0.0
            return response.json()
        raise _problem_error(response)

    def pause_as_asked(self, at_most: float) -> None:
        """Before asking again whether something ended: the pause the last answer asked
        for, when the console could not hold the question (too many waiting at once)."""
        time.sleep(max(0.0, min(self.retry_after, at_most)))

    def stream(self, path: str, params: dict):
        try:
            with self.http.stream("GET", path, params=params) as response:
                if not response.is_success:
                    response.read()
                    raise _problem_error(response)
                yield from response.iter_bytes()
        except httpx.HTTPError as error:
            raise ConsoleError(
                f"Could not reach the console at {self.settings.url}: {error}", EXIT_UNREACHABLE
            ) from None


def _problem_error(response: httpx.Response) -> ConsoleError:
    try:
        problem = response.json()
    except ValueError:
        problem = {}
    if not isinstance(problem, dict):
        problem = {}
    detail = problem.get("detail") or f"The console answered HTTP {response.status_code}."
    lines = [str(detail)]
    for error in problem.get("errors") or []:
        if isinstance(error, dict):
            lines.append(f"  {error.get('path') or '(inputs)'}: {error.get('message')}")
    if problem.get("next_step"):
        lines.append(str(problem["next_step"]))
    code = EXIT_UNREACHABLE if response.status_code >= 500 else EXIT_REFUSED
    return ConsoleError("\n".join(lines), code, problem)
