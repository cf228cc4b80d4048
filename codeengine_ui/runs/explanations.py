"""What a finished run's problems mean, in words: a result of the wrong type, inputs that
do not fit. (What to do next about an error is in the error-code table.)"""

import re
from dataclasses import dataclass

from codeengine_ui.error_codes import ErrorCode
from codeengine_ui.parameters.types import inputs_problems

from .models import Execution, ExecutionStatus

# Messages that may quote Code Engine's own words about the inputs; the console's other
# messages are its own ("within 330 seconds" does not name an input called seconds).
_CODES_QUOTING_DOMO = ("", ErrorCode.REQUEST_REFUSED, ErrorCode.UPSTREAM_ERROR)


def _domo_words(message: str) -> list[str]:
    """What Domo itself said in a stored message (`Domo said: "..."`), never the console's
    own wording around it (whose words could match an input's name)."""
    return re.findall(r'Domo said: "(.*)"', message)


def _shape(type_name: str, is_list: bool, allows_null: bool = False) -> str:
    shape = f"a list of {type_name}" if is_list else type_name
    return shape + (" (or null)" if allows_null else "")


@dataclass(frozen=True)
class TypeFailure:
    field: str
    expected: str
    actual: str

    @property
    def sentence(self) -> str:
        return f"The function returned {self.actual} where the definition declares {self.expected}."


def result_type_failure(execution: Execution) -> TypeFailure | None:
    """For RESULT_TYPE_FAILURE: which output, what was declared and what came back."""
    info = execution.error_information or {}
    if execution.status != ExecutionStatus.RESULT_TYPE_FAILURE or not info.get("expectedType"):
        return None
    output = execution.function.output if execution.function else None
    return TypeFailure(
        field=(output or {}).get("name") or "output",
        expected=_shape(
            info["expectedType"],
            bool(info.get("expectedIsList")),
            bool(info.get("expectedAllowNull")),
        ),
        actual=_shape(
            str(info.get("actualType") or "something else"), bool(info.get("actualIsList"))
        ),
    )


@dataclass(frozen=True)
class InputProblem:
    path: str
    message: str


def input_problems(execution: Execution) -> list[InputProblem]:
    """Inputs of a failed run that do not fit the function's saved definition (it may have
    changed since), and inputs that the error messages name."""
    if execution.function is None or execution.status not in (
        ExecutionStatus.FAILED,
        ExecutionStatus.ERROR,
    ):
        return []
    parameters = execution.function.parameters
    sent = execution.input_variables or {}
    problems = [
        InputProblem(path, message)
        for path, message in inputs_problems(parameters, sent)
        if message != "not an input of this function"
    ]
    found = {problem.path for problem in problems}
    said = " ".join(
        [str(m) for m in (execution.error_information or {}).get("errorMessages") or []]
        + (
            _domo_words(execution.error_message)
            if execution.error_code in _CODES_QUOTING_DOMO
            else []
        )
    )
    for parameter in parameters:
        name = parameter["name"]
        if name not in found and re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", said):
            problems.append(InputProblem(name, "named in the error message"))
    return problems
