"""A table's cell as the value of an input: the text of a CSV cell read as the form reads
its field, or a JSON value (a JSON Lines row, a DataSet's row) taken as it is.

The rules are the form's: an empty cell stands for null, a number keeps its digits (a
whole number of any size stays whole, a decimal that a double would round is refused),
`1,5` is refused rather than read as 15, lists and objects are JSON, and nothing is
trimmed, so line breaks and seconds reach Code Engine as they are in the cell. Booleans,
which the form ticks, are written true/false, yes/no or 1/0.
"""

from dataclasses import dataclass
from typing import Any

from .types import (
    Invalid,
    TypeRule,
    missing_message,
    parse_json_exactly,
    rule_for,
    value_problems,
)

# Past this, a whole number loses digits in a JavaScript function (a double holds 53 bits).
SAFE_INTEGER = 2**53 - 1
BOOLEAN_WORDS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
_TEXT_LIKE = frozenset({"text", "date", "dateTime", "time", "duration", "person", "group",
                        "dataset", "account", "file", "directory"})  # fmt: skip


@dataclass(frozen=True)
class InputCells:
    """How one input reads its cells; made once per input, used for every row."""

    parameter: dict
    rule: TypeRule | None

    @classmethod
    def of(cls, parameter: dict) -> "InputCells":
        return cls(parameter, rule_for(str(parameter.get("type") or "object")))

    @property
    def _as_json(self) -> bool:
        return bool(self.parameter.get("isList")) or self.rule is None or self.rule.name == "object"

    def value_from_text(self, text: str) -> Any:
        """The value a cell's text stands for, as the input's type reads it (Invalid when
        it cannot be read at all)."""
        if text == "":
            return None
        if self._as_json:
            return parse_json_exactly(text)
        if self.rule.name == "boolean":
            return BOOLEAN_WORDS.get(text.strip().lower(), text)
        if self.rule.name == "decimal" and _decimal_comma(text):
            point = text.replace(",", ".")
            raise Invalid(f"Use a point for the decimals: write {point}, not {text}.")
        return self.rule.from_text(text)

    def value_from_json(self, value: Any) -> Any:
        """A typed cell (JSON Lines, a DataSet): text where a number, boolean, list or
        object is expected is read as a CSV cell's text would be; anything else is taken as
        it is."""
        rule = self.rule
        if isinstance(value, str) and (rule is None or rule.name not in _TEXT_LIKE):
            return self.value_from_text(value)
        if rule is not None and rule.name == "boolean" and value in (0, 1) and type(value) is int:
            return bool(value)  # a DataSet has no boolean type: its flags are 0 and 1
        return value

    def problem(self, value: Any) -> str | None:
        """Why a cell's value does not fit the input, in a sentence (None when it fits)."""
        parameter = self.parameter
        if value is None:
            return None if parameter.get("nullable") else _sentence(missing_message(parameter))
        if self._as_json:
            problems = value_problems(parameter, value, "")
            if problems:
                path, message = problems[0]
                return _sentence(f"{path.lstrip('.')}: {message}" if path else message)
            return None
        message = self.rule.check(value)
        if message:
            return _sentence(message)
        whole = isinstance(value, int) and not isinstance(value, bool)
        if self.rule.name == "number" and whole and abs(value) > SAFE_INTEGER:
            return (
                f"{value:,} is beyond ±{SAFE_INTEGER:,}: a JavaScript function would receive "
                "it rounded."
            )
        return None


def value_from_text(parameter: dict, text: str) -> Any:
    return InputCells.of(parameter).value_from_text(text)


def value_from_json(parameter: dict, value: Any) -> Any:
    return InputCells.of(parameter).value_from_json(value)


def cell_problem(parameter: dict, value: Any) -> str | None:
    return InputCells.of(parameter).problem(value)


def _decimal_comma(text: str) -> bool:
    whole, comma, fraction = text.strip().lstrip("-").partition(",")
    return bool(comma and whole.isdigit() and fraction.isdigit())


def _sentence(message: str) -> str:
    message = message[:1].upper() + message[1:]
    return message if message.endswith((".", "?", "!")) else message + "."
