"""Names people give things (a suite, a case, a preset) are one line of printable text: a
line break in one would split an e-mail's subject, a log line or a terminal's row."""

ONE_LINE_REFUSAL = (
    "A name is one line of text: remove its line breaks and other control characters."
)


def not_one_line(name: str) -> bool:
    """Whether the name holds a line break or another character that is not printable."""
    return any(not character.isprintable() for character in name)


def as_one_line(text: str) -> str:
    """The text made one line: each run of spaces, line breaks and other characters that
    are not printable becomes one space."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())
