"""Every command the README shows works as written on a fresh clone after `make setup`
(what `make run` does before it starts the processes), in a clean environment."""

import os
import pty
import re
import select
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
# The environment of someone who just cloned the project: no DEBUG, no keys, no database.
CLEAN_ENVIRONMENT = {
    "PATH": os.environ["PATH"],
    "HOME": os.environ.get("HOME", "/root"),
    "LANG": "C.UTF-8",
    **({"PYENV_ROOT": os.environ["PYENV_ROOT"]} if "PYENV_ROOT" in os.environ else {}),
}
NEW_PASSWORD = "Plenty-long-passphrase-4471"


def readme_commands(readme: str) -> list[str]:
    """The shell commands the README shows: in code spans and in sh blocks."""
    commands = re.findall(r"`(\.venv/bin/[^`]+)`", readme)
    for block in re.findall(r"```sh\n(.*?)```", readme, re.S):
        commands += [line.strip() for line in block.splitlines() if line.strip()]
    return list(dict.fromkeys(commands))


@pytest.fixture(scope="module")
def fresh_clone(tmp_path_factory) -> Path:
    """The project's files as a clone has them (mtimes kept), sharing this .venv."""
    clone = tmp_path_factory.mktemp("clone")
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    for name in filter(None, listed.split("\0")):
        if not (ROOT / name).is_file():
            continue
        (clone / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, clone / name)
    (clone / ".venv").symlink_to(ROOT / ".venv")
    setup = _run(["make", "setup"], clone, timeout=300)
    assert setup.returncode == 0, setup.stdout
    assert "Created the admin user" in setup.stdout
    assert "DEBUG=1" in (clone / ".env").read_text()
    return clone


def _run(command: list[str], cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        command, cwd=cwd, env=CLEAN_ENVIRONMENT, capture_output=False, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def _answer_prompts(command: list[str], cwd: Path, answers: list[tuple[str, str]]) -> tuple:
    """Run `command` on a terminal, typing each answer after its prompt appears."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        command, cwd=cwd, env=CLEAN_ENVIRONMENT, stdin=terminal, stdout=terminal,
        stderr=terminal, start_new_session=True,
    )  # fmt: skip
    os.close(terminal)
    output, answered, deadline = "", 0, time.monotonic() + 60
    pending = list(answers)
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the command ended and closed its terminal
                break
            output += chunk.decode(errors="replace")
            while pending and pending[0][0] in output[answered:]:
                prompt, answer = pending.pop(0)
                answered = output.index(prompt, answered) + len(prompt)
                os.write(controller, (answer + "\n").encode())
        elif process.poll() is not None:
            break
    else:
        process.kill()
    os.close(controller)
    return process.wait(10), output


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serves_until_stopped(
    command: list[str], cwd: Path, ready, stop=signal.SIGTERM, extra_environment=None
) -> str:
    """Start a long-running command, wait until `ready()` holds, then stop it (SIGTERM, as
    a deployment does, or SIGINT, as Ctrl-C does): it must stop cleanly."""
    process = subprocess.Popen(
        command, cwd=cwd, env={**CLEAN_ENVIRONMENT, **(extra_environment or {})},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not ready() and time.monotonic() < deadline:
            assert process.poll() is None, process.stdout.read()
            time.sleep(0.2)
        assert ready(), "did not become ready"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, stop)  # as a terminal's Ctrl-C reaches the whole group
        output = process.communicate(timeout=60)[0]
    assert process.returncode in (0, -stop, 2, 130), output
    return output


def _check(command: str, clone: Path) -> None:
    """Run one README command the way a person would, and check it did its job."""
    words = command.replace("[", "").replace("]", "").split()
    if words[:3] == [".venv/bin/python", "manage.py", "changepassword"]:
        code, output = _answer_prompts(
            words, clone, [("Password:", NEW_PASSWORD), ("Password (again):", NEW_PASSWORD)]
        )
        assert code == 0 and "Password changed successfully" in output, output
    elif words[:3] == [".venv/bin/python", "manage.py", "createsuperuser"]:
        code, output = _answer_prompts(
            words,
            clone,
            [("Username", "ops"), ("Email address:", "ops@example.com"),
             ("Password:", NEW_PASSWORD), ("Password (again):", NEW_PASSWORD)],
        )  # fmt: skip
        assert code == 0 and "Superuser created successfully" in output, output
    elif words[:3] == [".venv/bin/python", "manage.py", "run_worker"]:
        database = clone / "var" / "console.sqlite3"
        _serves_until_stopped(words, clone, lambda: _worker_seen(database))
    elif words == ["make", "run"]:
        port, emulator_port = _free_port(), _free_port()
        extra = {  # free ports, as the README says they can be chosen
            "PORT": str(port),
            "CODEENGINE_EMULATOR_URL": f"http://127.0.0.1:{emulator_port}",
            "CODEENGINE_ALLOWED_HOSTS": f"127.0.0.1:{emulator_port}",
        }
        output = _serves_until_stopped(
            words,
            clone,
            lambda: _answers(f"http://127.0.0.1:{port}/health/", healthy_only=True),
            signal.SIGINT,
            extra,
        )
        for process in ("web", "worker", "emulator"):
            assert f"{process}.1 stopped" in output, output[-3000:]
    elif words[0] == ".venv/bin/gunicorn":
        port = _free_port()
        words[words.index("--bind") + 1] = f"127.0.0.1:{port}"
        _serves_until_stopped(words, clone, lambda: _answers(f"http://127.0.0.1:{port}/health/"))
    elif command.startswith(".venv/bin/python -c "):
        code = command.removeprefix(".venv/bin/python -c ").strip('"')
        result = _run([".venv/bin/python", "-c", code], clone)
        assert result.returncode == 0 and len(result.stdout.strip()) == 44, result.stdout
    elif words[:2] == [".venv/bin/python", "manage.py"] or words[:2] == ["make", "install"]:
        result = _run(words, clone, timeout=300)
        assert result.returncode == 0, f"{command}\n{result.stdout}"
        for variant in _without_optional_flags(command):
            again = _run(variant.split(), clone, timeout=300)
            assert again.returncode == 0, f"{variant}\n{again.stdout}"
    else:
        pytest.fail(f"The README shows a command this test does not know how to run: {command}")


def _without_optional_flags(command: str) -> list[str]:
    """`seed_demo [--no-history]` is also run as `seed_demo`."""
    if "[" not in command:
        return []
    return [re.sub(r"\s*\[[^]]*\]", "", command)]


def _worker_seen(database: Path) -> bool:
    with sqlite3.connect(database) as connection:
        return bool(connection.execute("SELECT 1 FROM runs_workerheartbeat").fetchall())


def _answers(url: str, *, healthy_only: bool = False) -> bool:
    """Whether the console answers /health/ (with a worker up, when `healthy_only`)."""
    try:
        status = httpx.get(url, timeout=2).status_code
    except httpx.HTTPError:
        return False
    return status == 200 if healthy_only else status in (200, 503)


def test_the_readme_lists_the_commands_this_test_runs():
    commands = readme_commands((ROOT / "README.md").read_text())

    assert ".venv/bin/python manage.py changepassword admin" in commands
    assert any(command.startswith(".venv/bin/gunicorn") for command in commands)


def test_every_readme_command_works_on_a_fresh_clone(fresh_clone):
    commands = readme_commands((fresh_clone / "README.md").read_text())

    for command in commands:
        _check(command, fresh_clone)

    login = _run(
        [".venv/bin/python", "manage.py", "shell", "-c",
         "from django.contrib.auth.models import User; "
         f"print(User.objects.get(username='admin').check_password('{NEW_PASSWORD}'))"],
        fresh_clone,
    )  # fmt: skip
    assert login.stdout.strip().endswith("True"), login.stdout
