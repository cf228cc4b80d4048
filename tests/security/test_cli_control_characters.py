"""`ce` never passes a terminal the escape sequences and control characters that names,
results, logs and messages from the console may hold; `--json` stays exact JSON."""

import json
import os
import pty
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from codeengine_cli.output import json_text, terminal_text

from codeengine_ui.access.models import ApiKey
from tests.conftest import save_demo_function, stored_run

CE = Path(sys.executable).parent / "ce"
# Colour (CSI), an OSC 8 link, BEL, backspaces, a carriage return, C1 controls (CSI and
# NEL), a bidi override, a zero-width space and an invisible tag character.
HOSTILE = (
    "\x1b[31mred\x1b[0m \x1b]8;;https://evil.example/\x07link\x1b]8;;\x07 bell\x07 "
    "back\x08\x08 carriage\r csi\x9b31m nel\x85 \u202eevil\u202c zero\u200bwidth tag\U000e0041"
)
VISIBLE = ["red", "link", "bell", "back", "carriage", "csi", "nel", "evil", "zerowidth", "tag"]
UNSAFE = ["\x1b", "\x07", "\x08", "\r", "\x9b", "\x85", "\u202e", "\u202c", "\u200b",
          "\U000e0041"]  # fmt: skip

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def greet(instance, developer_token):
    function = save_demo_function(instance, developer_token, "greet")
    function.display_name = f"Greet {HOSTILE}"
    function.save()
    return function


@pytest.fixture
def ce_env(live_server, admin_user, tmp_path):
    _key, text = ApiKey.issue(admin_user, "terminal check", "run")
    environment = {name: value for name, value in os.environ.items() if not name.startswith("CE_")}
    environment.update(CE_URL=live_server.url, CE_KEY=text, XDG_CONFIG_HOME=str(tmp_path))
    return environment


def ce(environment: dict, *arguments: str, **options) -> tuple[int, str, str]:
    """`ce`'s exit code, stdout and stderr, read as bytes (a carriage return stays one)."""
    done = subprocess.run(
        [str(CE), *arguments], env=environment, capture_output=True, timeout=120, **options
    )
    return done.returncode, done.stdout.decode(), done.stderr.decode()


def _assert_shown_safely(text: str) -> None:
    assert [character for character in UNSAFE if character in text] == []
    assert all(word in text for word in VISIBLE), text


def test_a_function_name_is_listed_without_control_characters(ce_env, greet):
    code, out, _err = ce(ce_env, "functions")

    assert code == 0
    assert [character for character in UNSAFE if character in out] == []
    row = next(line for line in out.splitlines() if line.startswith(str(greet.pk)))
    assert "Greet red link bell back carriage  csi nel  evil" in row


def test_json_output_is_exact_with_control_characters_escaped(ce_env, greet):
    code, out, _err = ce(ce_env, "functions", "--json")

    assert code == 0
    assert [character for character in UNSAFE if character in out] == []
    assert "\\u009b" in out and "\\u202e" in out and "\\udb40\\udc41" in out
    assert json.loads(out)[0]["name"] == f"Greet {HOSTILE}"


def test_a_runs_result_is_exact_json_with_control_characters_escaped(ce_env, greet):
    code, out, err = ce(ce_env, "run", str(greet.pk), "--input", f"name={HOSTILE}")

    assert code == 0, err
    assert json.loads(out) == f"Hello, {HOSTILE}."
    assert [character for character in UNSAFE if character in out + err] == []
    run_id = err.split("#", 1)[1].split(":", 1)[0]
    code, out, err = ce(ce_env, "get", run_id)
    assert json.loads(out) == f"Hello, {HOSTILE}."
    assert [character for character in UNSAFE if character in out + err] == []


def test_the_history_and_a_run_show_the_functions_name_without_control_characters(
    ce_env, greet, developer_token, admin_user
):
    greet.function_name = f"greet {HOSTILE}"
    greet.save()
    run = stored_run(greet, developer_token, admin_user, status="SUCCESS", result="done")

    code, out, _err = ce(ce_env, "runs")
    assert code == 0
    assert [character for character in UNSAFE if character in out] == []
    assert "greet red link bell back" in out
    code, _out, err = ce(ce_env, "get", str(run.pk))
    assert code == 0
    _assert_shown_safely(err)  # run #…: SUCCESS · <the function's name> …


def test_a_failed_runs_logs_and_error_are_shown_without_control_characters(
    ce_env, instance, developer_token
):
    failing = save_demo_function(instance, developer_token, "failWithError")

    code, _out, err = ce(ce_env, "run", str(failing.pk), "--input", f"reason={HOSTILE}")

    assert code == 1
    _assert_shown_safely(err)
    assert "stderr: RuntimeError: " in err
    lines = err.splitlines()
    assert all(line.startswith(("run #", "stderr: ", "error: ", "next: ")) for line in lines)


def test_a_problem_document_is_shown_without_control_characters(ce_env, greet):
    # C1 controls and format characters travel percent-encoded in the address; the
    # problem's detail names the function as the console read it.
    typed = "nothing csi\x9b31m nel\x85 \u202eevil\u202c zero\u200bwidth tag\U000e0041"

    code, _out, err = ce(ce_env, "run", typed)

    assert code == 3
    assert err.startswith('ce: No saved function is named "nothing csi nel  evil zerowidth tag"')
    assert [character for character in UNSAFE if character in err] == []


def test_an_export_is_exact_to_a_file_and_shown_safely_on_a_terminal(ce_env, greet, tmp_path):
    ce(ce_env, "run", str(greet.pk), "--input", f"name={HOSTILE}")
    exported = tmp_path / "runs.jsonl"

    ce(ce_env, "export", "-o", str(exported))
    shown = _on_a_terminal(ce_env, "export")

    assert json.loads(exported.read_text().split("\n")[0])["result"] == f"Hello, {HOSTILE}."
    _assert_shown_safely(shown.replace("\r\n", "\n"))


def _on_a_terminal(environment: dict, *arguments: str) -> str:
    """What `ce` writes to its standard output when that is a terminal."""
    terminal, screen = pty.openpty()
    process = subprocess.Popen([str(CE), *arguments], env=environment, stdout=screen)
    os.close(screen)
    chunks = []
    try:
        while chunk := os.read(terminal, 65536):
            chunks.append(chunk)
    except OSError:  # the other end closed
        pass
    finally:
        os.close(terminal)
    assert process.wait(timeout=120) == 0
    return b"".join(chunks).decode()


def _code_points(*categories: str) -> list[str]:
    return [
        chr(code)
        for code in range(0x110000)
        if unicodedata.category(chr(code)) in categories and code not in (0x200C, 0x200D)
    ]


def test_every_control_format_and_separator_character_is_kept_off_the_terminal():
    """Controls, format characters (but the zero-width joiners), separators and lone
    surrogates, as this Python's Unicode database has them."""
    unsafe = _code_points("Cc", "Cf", "Cs", "Zl", "Zp")
    text = "".join(unsafe)

    assert terminal_text(text).strip() == ""
    escaped = json_text(text)
    assert [character for character in unsafe if character in escaped] == []
    assert [c for c in unsafe if json.loads(json_text(c)) != c] == []
    assert terminal_text("a\u200db\u200cc") == "a\u200db\u200cc"
