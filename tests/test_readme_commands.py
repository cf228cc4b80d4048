"""Every command the README shows works as written on a fresh clone after `make setup`
(what `make run` does before it starts the processes), in a clean environment; and every
`ce` example works on the demo data, against the stack as `make run` starts it."""

import json
import os
import pty
import re
import select
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from codeengine_ui.demo.stack import DemoStack

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


def _copy_of_the_project(destination: Path) -> Path:
    """The project's files as a clone has them (mtimes kept), without a .venv."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    for name in filter(None, listed.split("\0")):
        if not (ROOT / name).is_file():
            continue
        (destination / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, destination / name)
    return destination


def readme_ce_examples(readme: str) -> list[tuple[str, str]]:
    """The `ce` commands the README shows, each with the comment beside it: the lines of
    its code blocks, and the code spans that give a command with its arguments."""
    examples = []
    for block in re.findall(r"```(?:text|sh)\n(.*?)```", readme, re.S):
        for line in block.splitlines():
            if line.startswith("ce "):
                command, _, comment = line.partition("  #")
                examples.append((command.strip(), comment.strip()))
    examples += [(span, "") for span in re.findall(r"`(ce [a-z]+ [^`]+)`", readme)]
    return list(dict.fromkeys(examples))


def readme_curl_examples(readme: str) -> list[str]:
    """The curl commands of the README's code blocks, continuation lines joined."""
    commands = []
    for block in re.findall(r"```(?:text|sh)\n(.*?)```", readme, re.S):
        joined = block.replace("\\\n", " ")
        commands += [line for line in joined.splitlines() if line.startswith("curl ")]
    return commands


@pytest.fixture(scope="module")
def first_setup(tmp_path_factory) -> tuple[Path, str]:
    """A fresh clone sharing this .venv, and what its first `make setup` printed."""
    clone = _copy_of_the_project(tmp_path_factory.mktemp("clone"))
    (clone / ".venv").symlink_to(ROOT / ".venv")
    setup = _run(["make", "setup"], clone, timeout=300)
    assert setup.returncode == 0, setup.stdout
    assert "DEBUG=1" in (clone / ".env").read_text()
    return clone, setup.stdout


@pytest.fixture(scope="module")
def fresh_clone(first_setup) -> Path:
    return first_setup[0]


def login_box(output: str) -> list[str]:
    """The lines framed at the very end of `output` (set-up's last words), unframed."""
    lines = output.rstrip().splitlines()
    assert lines and re.fullmatch(r"\+-+\+", lines[-1]), output[-2000:]
    top = max(index for index, line in enumerate(lines[:-1]) if line == lines[-1])
    framed = lines[top + 1 : -1]
    assert all(line.startswith("|") and line.endswith("|") for line in framed), framed
    return [line.strip("| ").strip() for line in framed if line.strip("| ")]


def _run(command: list[str], cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        command, cwd=cwd, env=CLEAN_ENVIRONMENT, capture_output=False, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def _answer_prompts(
    command: list[str], cwd: Path, answers: list[tuple[str, str]], environment=None
) -> tuple:
    """Run `command` on a terminal, typing each answer after its prompt appears."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        command, cwd=cwd, env=environment or CLEAN_ENVIRONMENT, stdin=terminal, stdout=terminal,
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
        # The admin exists by now: the login is still the last thing before the processes,
        # with how to reset its password.
        set_up = re.split(r"^\d\d:\d\d:\d\d \w+\.?\d*\s+\| ", output, maxsplit=1, flags=re.M)[0]
        box = login_box(set_up)
        assert box[0] == f"Open      http://127.0.0.1:{port}/", box
        assert ".venv/bin/python manage.py changepassword admin" in box[-1], box
        assert "Applying " not in set_up and "audit:" not in set_up, set_up
    elif words == ["make", "cli"] or words == [".venv/bin/ce"]:
        _installs_a_working_ce(clone)
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


_CLI_INSTALLS: dict[Path, Path] = {}


def _installs_a_working_ce(clone: Path) -> None:
    """`make cli` in a copy of `clone` with a .venv of its own gives a `ce` that runs,
    where it says, without the console's dependencies."""
    if clone in _CLI_INSTALLS:
        return
    copy = _copy_of_the_project(clone.parent / f"{clone.name}-cli")
    # A .venv of its own that already holds uv (as the Makefile's first step leaves it),
    # and uv reading only its cache, which installing this .venv filled: no index is asked.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", copy / ".venv"], check=True)
    (copy / ".venv" / "bin" / "uv").symlink_to(ROOT / ".venv" / "bin" / "uv")
    installed = subprocess.run(
        ["make", "cli"], cwd=copy, env={**CLEAN_ENVIRONMENT, "UV_OFFLINE": "1"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stdout
    ce = copy / ".venv" / "bin" / "ce"
    assert f"ce is installed: {ce}" in installed.stdout, installed.stdout
    assert ".venv/bin/ce login http://127.0.0.1:8000" in installed.stdout, installed.stdout
    helped = _run([".venv/bin/ce", "--help"], copy)
    assert helped.returncode == 0, helped.stdout
    assert "Usage: ce" in helped.stdout and "suite" in helped.stdout, helped.stdout
    version = _run([".venv/bin/ce", "--version"], copy)
    assert version.returncode == 0 and "0.1.0" in version.stdout, version.stdout
    without_django = _run([".venv/bin/python", "-c", "import django"], copy)
    assert without_django.returncode != 0, without_django.stdout
    _CLI_INSTALLS[clone] = copy


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
    readme = (ROOT / "README.md").read_text()
    commands = readme_commands(readme)

    assert ".venv/bin/python manage.py changepassword admin" in commands
    assert any(command.startswith(".venv/bin/gunicorn") for command in commands)
    assert {"make run", "make cli"} <= set(commands)
    examples = [command for command, _ in readme_ce_examples(readme)]
    assert 'ce suite run "Release checklist" --junit report.xml' in examples
    assert "ce runs --function greet --status failed --since 1d" in examples


def test_setup_is_quiet_and_ends_with_the_admins_login_framed(first_setup):
    clone, output = first_setup

    assert "Applying " not in output and "Operations to perform" not in output, output
    assert "audit:" not in output, output
    assert len(output.splitlines()) < 20, output
    box = login_box(output)
    assert box[:2] == ["Open      http://127.0.0.1:8000/", "User      admin"], box
    password = re.fullmatch(r"Password  (\S+)   \(shown only this once\)", box[2])
    assert password, box
    assert box[3] == "Change it .venv/bin/python manage.py changepassword admin", box
    assert _password_is(clone, password[1])


def _password_is(clone: Path, password: str) -> bool:
    login = _run(
        [".venv/bin/python", "manage.py", "shell", "-c",
         "from django.contrib.auth.models import User; "
         f"print(User.objects.get(username='admin').check_password('{password}'))"],
        clone,
    )  # fmt: skip
    return login.stdout.strip().endswith("True")


def test_every_readme_command_works_on_a_fresh_clone(fresh_clone):
    commands = readme_commands((fresh_clone / "README.md").read_text())

    for command in commands:
        _check(command, fresh_clone)

    assert _password_is(fresh_clone, NEW_PASSWORD)


@pytest.fixture(scope="module")
def demo_stack():
    """The stack as `make run` starts it, with its demo data (the month of runs included)."""
    var = ROOT / "var"
    with DemoStack(var / "test-readme-ce.sqlite3", var / "test-readme-ce-stack.log") as stack:
        yield stack


def test_every_readme_ce_example_works_on_the_demo_data(demo_stack, tmp_path):
    readme = (ROOT / "README.md").read_text()
    examples = sorted(readme_ce_examples(readme), key=lambda example: " login " not in example[0])
    ce = str(Path(sys.executable).parent / "ce")  # what make cli installs
    environment = {**CLEAN_ENVIRONMENT, "XDG_CONFIG_HOME": str(tmp_path / "config")}
    assert examples[0][0].startswith("ce login ")

    for command, comment in examples:
        words = shlex.split(command)
        for name, content in re.findall(r"([\w-]+\.jsonl?): (\{[^;]*\})", comment):
            (tmp_path / name).write_text(content + "\n")
        if words[1] == "login":  # the console's address is the stack's; the key is asked for
            key = demo_stack.api_key("readme examples")
            code, output = _answer_prompts(
                [ce, "login", demo_stack.base_url, *words[3:]], tmp_path, [("API key:", key)],
                environment,
            )  # fmt: skip
            assert code == 0 and "Logged in to" in output, output
            continue
        done = subprocess.run(
            [ce, *words[1:]], cwd=tmp_path, env=environment, capture_output=True, text=True,
            timeout=300, check=False,
        )  # fmt: skip

        assert done.returncode == _documented_exit(ce, words, comment, tmp_path, environment), (
            f"{command}\nstdout: {done.stdout[-2000:]}\nstderr: {done.stderr[-2000:]}"
        )
        assert "Traceback" not in done.stderr, done.stderr
        for flag in ("-o", "--junit"):
            if flag in words:
                assert (tmp_path / words[words.index(flag) + 1]).stat().st_size > 0, command


def _documented_exit(ce: str, words: list[str], comment: str, cwd: Path, environment) -> int:
    """The exit code the README gives: "exits N" beside it, for `ce get` the run's own
    (0 if it succeeded), else 0."""
    said = re.search(r"\bexits (\d)\b", comment)
    if said:
        return int(said[1])
    if words[1] == "get":
        run = subprocess.run(
            [ce, *words[1:], "--json"], cwd=cwd, env=environment, capture_output=True,
            text=True, timeout=60, check=False,
        )  # fmt: skip
        return 0 if json.loads(run.stdout)["status"] == "SUCCESS" else 1
    return 0


def test_the_readme_curl_example_runs_a_function_on_the_demo_data(demo_stack):
    (command,) = readme_curl_examples((ROOT / "README.md").read_text())
    environment = {
        **CLEAN_ENVIRONMENT,
        "CE_URL": demo_stack.base_url,
        "CE_KEY": demo_stack.api_key("readme curl"),
    }

    done = subprocess.run(
        ["bash", "-c", command], env=environment, capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    run = json.loads(done.stdout)
    assert (run["status"], run["result"]) == ("SUCCESS", "Hello, Ada."), run
