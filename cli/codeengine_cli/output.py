"""Everything `ce` prints goes through here: text from the console reaches the terminal
without the characters a terminal acts on, and JSON keeps them escaped.

Function names, results, logs and the console's messages come from people and functions
the user does not control. Printed raw, an escape sequence in them could recolour, retitle
or clear the terminal, hide or overwrite text (carriage returns, backspaces), or forge a
link (OSC 8); bidi overrides and invisible characters could make text read as something
it is not.
"""

import codecs
import json
import re
from collections.abc import Iterable
from typing import Any

import click

# Controls (C0, DEL, C1), lone surrogates, line and paragraph separators, and Unicode's
# format characters (bidi embeddings, overrides and isolates, zero-width spaces, tags...)
# except the zero-width joiners (U+200C, U+200D) that emoji and several scripts need.
_FORMAT_AND_SEPARATORS = (
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b\u200e\u200f"
    "\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
    "\U000e0020-\U000e007f"
)
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f\ud800-\udfff{_FORMAT_AND_SEPARATORS}]")
# JSON escapes what is below U+0020 itself; these it would write raw.
_UNSAFE_IN_JSON = re.compile(f"[\x7f-\x9f\ud800-\udfff{_FORMAT_AND_SEPARATORS}]")
_SPACES = "\t\n\v\f\r\x1c\x1d\x1e\x85\u2028\u2029"
# Whole escape sequences go, so what they carried (a colour's parameters, a link's
# address, a title) is not left as text: CSI; OSC, DCS, SOS, PM and APC up to their
# terminator; any other ESC sequence. In 7-bit and C1 forms.
_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]"
)
TABLE_CELL_WIDTH = 60


def terminal_text(value: object) -> str:
    """One line as a terminal may show it: tabs and line breaks become spaces, and every
    other character a terminal would act on is dropped."""
    text = _ESCAPE_SEQUENCE.sub("", str(value))
    return _UNSAFE.sub(lambda match: " " if match[0] in _SPACES else "", text)


def show(text: object, *, err: bool = False) -> None:
    """Print text for a person, each of its lines through `terminal_text`."""
    click.echo("\n".join(terminal_text(line) for line in str(text).split("\n")), err=err)


def show_lines(prefix: str, text: object, *, err: bool = False) -> None:
    """Text that may hold line breaks (a log line, a message), each line after `prefix`, so
    none of it can pass for a line of `ce`'s own."""
    for line in str(text).splitlines() or [""]:
        show(f"{prefix}{line}", err=err)


def json_text(value: Any) -> str:
    """Exact JSON (what a parser reads back is `value`), with every character a terminal
    would act on written as a \\u escape."""
    return _UNSAFE_IN_JSON.sub(_json_escape, json.dumps(value, indent=2, ensure_ascii=False))


def show_json(value: Any) -> None:
    click.echo(json_text(value))


def show_table(rows: list[dict], columns: list[tuple[str, str]]) -> None:
    """Rows as an aligned text table: (key, heading) per column."""
    cells = [[heading for _, heading in columns]]
    cells += [
        ["" if row.get(key) is None else terminal_text(row.get(key)) for key, _ in columns]
        for row in rows
    ]
    widths = [
        min(TABLE_CELL_WIDTH, max(len(line[index]) for line in cells))
        for index in range(len(columns))
    ]
    for number, line in enumerate(cells):
        show(
            "  ".join(
                cell[:TABLE_CELL_WIDTH].ljust(width)
                for cell, width in zip(line, widths, strict=True)
            ).rstrip()
        )
        if number == 0:
            show("  ".join("-" * width for width in widths))


def show_stream(chunks: Iterable[bytes]) -> None:
    """A streamed UTF-8 text (an export) shown on a terminal, line by line."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pending = ""
    for chunk in chunks:
        *lines, pending = (pending + decoder.decode(chunk)).split("\n")
        for line in lines:
            show(line.removesuffix("\r"))
    pending += decoder.decode(b"", final=True)
    if pending:
        show(pending)


def _json_escape(match: re.Match) -> str:
    code = ord(match[0])
    if code > 0xFFFF:
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"
