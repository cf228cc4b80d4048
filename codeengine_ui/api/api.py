"""The console's JSON API, /api/v1/: the same runs, checks and history as the pages, for
scripts, notebooks, CI and the `ce` command-line client. Keys only (no session), so no
CSRF; every error is a problem document (problems.py)."""

import json
import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.views.decorators.csp import csp_override
from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.errors import ValidationError as SchemaError
from ninja.parser import Parser

from codeengine_ui.access.roles import Role, role_required
from codeengine_ui.json_text import NotStandardJSON, loads
from codeengine_ui.runs.views import health as health_page

from . import functions, load_runs, runs, suite_files, suites, tables
from .keys import ApiKeyAuth
from .problems import Problem, problem_response

logger = logging.getLogger(__name__)

# The docs page is Swagger UI from our own static files; it sets styles inline.
DOCS_POLICY = {"default-src": ["'self'"], "style-src": ["'self'", "'unsafe-inline'"],
               "img-src": ["'self'", "data:"]}  # fmt: skip


def _docs(view):
    return role_required(Role.VIEWER)(csp_override(DOCS_POLICY)(view))


class StandardJSONParser(Parser):
    """Bodies read as the JSON standard has it: NaN, Infinity and 1e999, which Python's
    parser takes but no database stores, are refused as the pages refuse them."""

    def parse_body(self, request):
        return loads(request.body)


api = NinjaAPI(
    title="Code Engine Console API",
    version="1",
    description="Run Domo Code Engine functions through the console: every run is checked "
    "against its definition and kept in the team's history. Authenticate with a personal "
    "API key (Authorization: Bearer ce_…), created on your profile page.",
    urls_namespace="api",
    auth=ApiKeyAuth(),
    docs_decorator=_docs,
    parser=StandardJSONParser(),
)
api.add_router("", functions.router)
api.add_router("", runs.router)
api.add_router("", suites.router)
api.add_router("", suite_files.router)
api.add_router("", tables.router)
api.add_router("", load_runs.router)


@api.get("/health", auth=None, tags=["health"], summary="Database and workers")
def health(request):
    """200 when the database answers and a worker was seen lately; 503 otherwise."""
    return health_page(request)


@api.exception_handler(Problem)
def _problem(request, problem: Problem):
    response = problem_response(problem)
    if problem.code == "key_in_query":
        # Django would log the request, whose address holds the key: say it without it.
        response._has_been_logged = True
        logger.warning("API key sent in the address of %s: refused", request.path)
    return response


@api.exception_handler(SchemaError)
def _schema_error(request, error: SchemaError):
    errors = [
        {
            "path": ".".join(str(part) for part in item.get("loc", ()) if part != "body"),
            "message": item.get("msg", ""),
        }
        for item in error.errors
    ]
    return problem_response(
        Problem(
            422, "invalid_request", "The request does not have the expected shape.", errors=errors
        )
    )


@api.exception_handler(PermissionDenied)
def _denied(request, error: PermissionDenied):
    return problem_response(Problem(403, "forbidden", str(error) or "You may not do this."))


@api.exception_handler(RequestDataTooBig)
def _too_big(request, error):
    return problem_response(
        Problem(413, "request_too_large", "The request body is over MAX_REQUEST_BYTES.")
    )


@api.exception_handler(ValidationError)
def _invalid(request, error: ValidationError):
    return problem_response(Problem(422, "invalid_request", " ".join(error.messages)))


@api.exception_handler(HttpError)
def _http_error(request, error: HttpError):
    unreadable = error.__cause__  # the parser's own error, for a body that is not JSON
    if isinstance(unreadable, RecursionError):
        return problem_response(Problem(400, "invalid_json", "The body nests too deeply."))
    if isinstance(unreadable, json.JSONDecodeError | NotStandardJSON):
        return problem_response(
            Problem(400, "invalid_json", f"The body is not JSON: {unreadable}.")
        )
    return problem_response(Problem(error.status_code, "http_error", str(error)))
