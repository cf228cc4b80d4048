"""Every API error in one JSON shape: RFC 9457 problem details with a stable `code`.

{"type": "https://…/problems/inputs-do-not-fit", "title": "...", "status": 422,
 "detail": "...", "code": "inputs_do_not_fit", "errors": [{"path": "name", ...}]}
"""

from http import HTTPStatus

from django.http import JsonResponse

PROBLEM_TYPE_BASE = "https://codeengine-console.invalid/problems/"


class Problem(Exception):
    """An API error: its HTTP status, a stable code, and a sentence saying what to do."""

    def __init__(self, status: int, code: str, detail: str, **extra):
        super().__init__(detail)
        self.status, self.code, self.detail, self.extra = status, code, detail, extra
        self.headers: dict[str, str] = {}


def problem_response(problem: Problem) -> JsonResponse:
    body = {
        "type": PROBLEM_TYPE_BASE + problem.code.replace("_", "-"),
        "title": HTTPStatus(problem.status).phrase,
        "status": problem.status,
        "detail": problem.detail,
        "code": problem.code,
        **problem.extra,
    }
    response = JsonResponse(body, status=problem.status, content_type="application/problem+json")
    for name, value in problem.headers.items():
        response[name] = value
    return response


def too_many(detail: str, retry_after: int) -> Problem:
    problem = Problem(429, "rate_limited", detail, retry_after=retry_after)
    problem.headers["Retry-After"] = str(retry_after)
    return problem
