"""JSON read so that no number changes: a table's cells reach a function as they are kept.

Whole numbers are exact in Python whatever their size; a fraction or an exponent that a
double would round (`12345678901234567890.12`) is kept as its literal text, so the type
rules can say so at its cell instead of sending another number.
"""

import json
from decimal import Decimal
from typing import Any

from codeengine_ui.json_text import NotStandardJSON, loads


def _exact_number(literal: str) -> float | str:
    number = float(literal)
    if number != number or number in (float("inf"), float("-inf")):
        return literal
    return number if Decimal(repr(number)) == Decimal(literal) else literal


def _refuse_constant(name: str) -> None:
    raise NotStandardJSON(f"{name} is not a JSON value")


def exact_loads(text: str | bytes) -> Any:
    """As json_text.loads, but a number a double would change stays its literal text."""
    try:
        return json.loads(text, parse_float=_exact_number, parse_constant=_refuse_constant)
    except ValueError as error:
        if isinstance(error, json.JSONDecodeError | NotStandardJSON):
            raise
        return loads(text)  # over Python's digit limit: say it as json_text does
