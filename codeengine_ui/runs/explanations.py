"""What a finished run's problems mean, in words, and what to do next."""

import re
from dataclasses import dataclass

from codeengine_ui.parameters.types import inputs_problems

from .models import Execution, ExecutionStatus

# What to do next, for each way a call can fail before Code Engine gives a result.
NEXT_STEPS = {
    "bad_token": "Ask an admin to check the token under Access tokens: it may be mistyped, "
    "expired or revoked in Domo.",
    "permission_denied": "Ask the package's owner in Domo to share it with the token's user "
    "with Execute permission.",
    "not_found": "Check the package id, version and function name; only released versions "
    "run from outside Domo. Refresh the function's definition to see what exists.",
    "timeout": "Functions may run for up to 5 minutes. Look for a slow step or an endless "
    "loop, or run it with getLogs on to see how far it got.",
    "unreachable": "Check the instance address and your network, then run again.",
    "upstream_error": "Run again in a moment; if it keeps failing, check the function in Domo.",
    "response_too_large": "Return less data from the function, or raise "
    "CODEENGINE_MAX_RESPONSE_BYTES.",
    "invalid_request": "Fix the function's package id, version or name, or the instance's "
    "address, in the catalog.",
    "token_missing": "Run again with another token.",
    "token_disabled": "Ask an admin to enable the token, or run again with another token.",
    "token_expired": "Ask an admin to renew the token in Domo and rotate it here, or run "
    "again with another token.",
    "token_not_granted": "Ask an admin to grant you the token again, or run with a token "
    "granted to you.",
    "role_revoked": "Ask an admin for the member role; only members run functions.",
    "token_unreadable": "An admin must re-enter the token (or add the old key back to "
    "TOKEN_ENCRYPTION_KEYS).",
    "interrupted": "Run it again; check the execution in Domo if the run changes data.",
    "internal": "The details are in the worker's log; run again, and report it if it repeats.",
}


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
        + [execution.error_message]
    )
    for parameter in parameters:
        name = parameter["name"]
        if name not in found and re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", said):
            problems.append(InputProblem(name, "named in the error message"))
    return problems


def next_step(execution: Execution) -> str:
    return NEXT_STEPS.get(execution.error_code, "")
