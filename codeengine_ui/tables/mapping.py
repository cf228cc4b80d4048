"""Which column gives each input, and each row's inputVariables by the type rules.

An input takes a column, a fixed value (typed as in the form), or its default (null when
it has none and may be null). The automatic mapping matches column names to input names
(then labels) whatever their case. Every declared input is always sent.
"""

from dataclasses import dataclass
from typing import Any

from codeengine_ui.parameters.cells import (
    InputCells,
    cell_problem,
    value_from_json,
    value_from_text,
)
from codeengine_ui.parameters.types import Invalid

COLUMN, VALUE, DEFAULT = "column", "value", "default"


def automatic_mapping(parameters: list[dict], columns: list[str]) -> dict[str, dict]:
    by_name = {column.casefold(): column for column in reversed(columns)}
    mapping = {}
    for parameter in parameters:
        found = by_name.get(parameter["name"].casefold()) or by_name.get(
            str(parameter.get("label") or "").casefold()
        )
        mapping[parameter["name"]] = {COLUMN: found} if found else {DEFAULT: True}
    return mapping


def chosen_column(choice: dict) -> str | None:
    return choice.get(COLUMN) if isinstance(choice, dict) else None


@dataclass(frozen=True)
class Fixed:
    value: Any


class RowReader:
    """Reads rows into inputVariables with a checked mapping; `errors` says, per input,
    why the mapping itself cannot work (an unknown column, a fixed value that does not
    fit, a required input with no column and no default)."""

    def __init__(self, parameters: list[dict], columns: list[str], mapping: dict, *,
                 typed: bool):  # fmt: skip
        self.parameters = parameters
        self.typed = typed
        self.columns = columns
        self.errors: dict[str, str] = {}
        self._sources: list[tuple[InputCells, int | Fixed]] = []
        index = {column: position for position, column in enumerate(columns)}
        for name in mapping:
            if name not in {parameter["name"] for parameter in parameters}:
                self.errors[name] = f"{name} is not an input of this function."
        for parameter in parameters:
            choice = mapping.get(parameter["name"]) or {DEFAULT: True}
            source = self._source(parameter, choice, index)
            if source is not None:
                self._sources.append((InputCells.of(parameter), source))

    def _source(self, parameter: dict, choice: dict, index: dict) -> int | Fixed | None:
        name = parameter["name"]
        if not isinstance(choice, dict):
            self.errors[name] = 'Map it as {"column": …}, {"value": …} or {"default": true}.'
            return None
        if COLUMN in choice:
            column = choice[COLUMN]
            if column not in index:
                self.errors[name] = f"The table has no column “{column}”."
                return None
            return index[column]
        if VALUE in choice:
            text = choice[VALUE]
            try:
                value = (value_from_text(parameter, text) if isinstance(text, str)
                         else value_from_json(parameter, text))  # fmt: skip
            except Invalid as error:
                self.errors[name] = str(error)
                return None
        else:
            value = parameter.get("default")
        problem = cell_problem(parameter, value)
        if problem:
            if VALUE not in choice and value is None:
                problem = "Required, and it has no default: choose a column or a value."
            self.errors[name] = problem
            return None
        return Fixed(value)

    def read(self, cells: list[Any]) -> tuple[dict[str, Any], list[dict]]:
        """A row's inputVariables, and its problems [{"input", "column", "message"}]."""
        inputs: dict[str, Any] = {}
        problems = []
        for reading, source in self._sources:
            name = reading.parameter["name"]
            if isinstance(source, Fixed):
                inputs[name] = source.value
                continue
            cell = cells[source]
            try:
                if self.typed:
                    value = reading.value_from_json(cell)
                else:
                    value = reading.value_from_text(cell if cell is not None else "")
            except Invalid as error:
                problems.append(
                    {"input": name, "column": self.columns[source], "message": str(error)}
                )
                continue
            problem = reading.problem(value)
            if problem:
                problems.append({"input": name, "column": self.columns[source], "message": problem})
                continue
            inputs[name] = value
        return inputs, problems
