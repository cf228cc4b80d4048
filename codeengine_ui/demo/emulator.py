"""A local Code Engine: a real HTTP server that speaks the documented API.

It is the demo's instance, the tests' upstream and the benchmarks' upstream. It checks the
developer token (401 unknown token, 403 package not allowed, 404 unknown or unreleased
package/version/function), validates inputs against the function definition, runs the
function in-process and answers with Domo's execution shape. Where Domo's behaviour is
unknown it offers the plausible variants: `input_errors="failed"` answers a wrong input
type with HTTP 200 and status FAILED, `"http400"` with HTTP 400 and a message.

To model a real instance it can serve HTTPS (`tls`, a server-side SSL context) and add a
network latency each way (`latency_seconds`): a request and its answer each take one
latency, and a new connection costs a round trip more (two with TLS), so reusing a
connection pays off as it does against Domo. `GET /_emulator/stats` says how many
connections were opened and runs received, and how many runs repeated an earlier one's
exact body: what the benchmarks and the exactly-once tests count. `calls_by(user_id)` says
how many requests came with a token of that Domo user (whose token a call used).
`refuse_runs(count,
retry_after)` (or `POST /_emulator/rate-limit {"runs", "retry_after"}`) answers the next
runs with HTTP 429 and a Retry-After header, as Domo's rate limit does, without running
them. A function declared with a `concurrency_limit` (the demo's busyService) answers 429
(Retry-After: 1) to a call that arrives while that many of its calls are running: a load
run meets the limit as it ramps up.
"""

import hashlib
import json
import re
import ssl
import sys
import threading
import time
import traceback
import uuid
from collections import Counter, OrderedDict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from codeengine_ui.domo.redaction import redact
from codeengine_ui.parameters.types import domo_type_of, value_problems

from .package import DEMO_PACKAGE_ID, demo_packages

INPUT_ERROR_STYLES = ("failed", "http400")
_MAX_REQUEST_BYTES = 10 * 1024 * 1024
_KEPT_EXECUTIONS = 1000
_KEPT_FINGERPRINTS = 1_000_000
_CREATED_ON = "2026-01-15T09:30:00.000Z"


@dataclass(frozen=True)
class EmulatorUser:
    """The Domo user a token belongs to; `executable_packages=None` means every package."""

    id: int
    display_name: str
    email: str
    executable_packages: frozenset[str] | None = None

    def may_execute(self, package_id: str) -> bool:
        return self.executable_packages is None or package_id in self.executable_packages


def demo_users(token: str, limited_token: str = "") -> dict[str, EmulatorUser]:
    """The demo's Domo users by token: a developer who may run every package and, with a
    second token, an analyst limited to the demo package."""
    users = {token: EmulatorUser(1001, "Demo Developer", "developer@example.com")}
    if limited_token:
        users[limited_token] = EmulatorUser(
            1002,
            "Demo Analyst",
            "analyst@example.com",
            executable_packages=frozenset({DEMO_PACKAGE_ID}),
        )
    return users


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    content_type: str = "application/json;charset=UTF-8"
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str) and not self.content_type.startswith("application/json"):
            return self.body.encode()
        return json.dumps(self.body, default=str).encode()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Console:
    def __init__(self):
        self.stdout: list = []
        self.stderr: list = []

    def log(self, entry: Any) -> None:
        self.stdout.append(entry)

    def error(self, entry: Any) -> None:
        self.stderr.append(entry)


class CodeEngineEmulator:
    def __init__(
        self,
        tokens: dict[str, EmulatorUser],
        *,
        packages: list[dict] | None = None,
        input_errors: str = "failed",
        latency_seconds: float = 0.0,
    ):
        if input_errors not in INPUT_ERROR_STYLES:
            raise ValueError(f"input_errors must be one of {INPUT_ERROR_STYLES}")
        if latency_seconds < 0:
            raise ValueError("latency_seconds cannot be negative")
        self.tokens = dict(tokens)
        self.latency_seconds = latency_seconds
        self.packages = {package["id"]: package for package in packages or demo_packages()}
        self.input_errors = input_errors
        self._executions: OrderedDict[str, dict] = OrderedDict()
        self._lock = threading.Lock()
        self.runs_received = 0
        self.connections_opened = 0
        self.repeated_runs = 0
        self.rate_limited_runs = 0
        self._runs_to_refuse = 0
        self._retry_after = ""
        self._run_fingerprints: set[bytes] = set()
        # The latest run requests as received: (package id, version, function name, body).
        self.received_runs: deque[tuple[str, str, str, dict]] = deque(maxlen=200)
        self._calls_by_user: Counter[int] = Counter()
        self._running_calls: Counter[str] = Counter()  # by function name

    def runs_since(self, mark: int) -> list[tuple[str, str, str, dict]]:
        """The run requests received since `runs_received` was `mark` (of the latest 200)."""
        with self._lock:
            newer = self.runs_received - mark
            return list(self.received_runs)[-newer:] if newer > 0 else []

    # --- routing -------------------------------------------------------------------------

    _ROUTES = [
        ("GET", re.compile(r"/api/content/v2/users/me"), "_me"),
        ("POST", re.compile(r"/api/identity/v1/users/search"), "_users_search"),
        ("GET", re.compile(r"/api/content/v2/groups/grouplist"), "_groups_search"),
        ("POST", re.compile(r"/api/data/ui/v3/datasources/search"), "_datasets_search"),
        ("GET", re.compile(r"/api/data/v1/accounts"), "_accounts"),
        ("GET", re.compile(r"/api/content/v2/groups/(?P<group_id>\d+)"), "_group"),
        ("GET", re.compile(r"/api/data/v3/datasources/(?P<dataset_id>[^/]+)"), "_dataset"),
        ("GET", re.compile(r"/api/data/v1/accounts/(?P<account_id>[^/]+)"), "_account"),
        ("POST", re.compile(r"/api/query/v1/execute/(?P<dataset_id>[^/]+)"), "_dataset_query"),
        ("GET", re.compile(r"/api/codeengine/v2/packages/?"), "_list_packages"),
        ("GET", re.compile(r"/api/codeengine/v2/packages/(?P<package_id>[^/]+)"), "_package"),
        (
            "GET",
            re.compile(
                r"/api/codeengine/v2/packages/(?P<package_id>[^/]+)/versions/"
                r"(?P<version>[^/]+)"
            ),
            "_version",
        ),
        (
            "POST",
            re.compile(
                r"/api/codeengine/v2/packages/(?P<package_id>[^/]+)/versions/"
                r"(?P<version>[^/]+)/functions/(?P<function_name>[^/]+)"
            ),
            "_run",
        ),
        (
            "GET",
            re.compile(
                r"/api/codeengine/v2/packages/(?P<package_id>[^/]+)/executions/"
                r"(?P<execution_id>[^/]+)"
            ),
            "_execution",
        ),
    ]

    # --- the instance's directory: people, groups, DataSets, accounts ----------------------

    def _users_search(self, user: EmulatorUser, body: bytes, **_: Any) -> Reply:
        if not user.may_execute(""):  # the limited token's user may not list people
            return _forbidden()
        request = _json_object(body)
        text, ids = "", None
        for entry in request.get("filters") or []:
            if isinstance(entry, dict) and entry.get("filterType") == "text":
                text = str(entry.get("text") or "").lower()
            if isinstance(entry, dict) and entry.get("filterType") == "value":
                ids = {str(value) for value in entry.get("values") or []}
        found = [person for person in DEMO_PEOPLE if text in json.dumps(person).lower()]
        if ids is not None:
            found = [person for person in found if str(person["id"]) in ids]
        limit = request.get("limit") if isinstance(request.get("limit"), int) else 50
        offset = request.get("offset") if isinstance(request.get("offset"), int) else 0
        return Reply(200, {"users": found[offset : offset + limit], "count": len(found)})

    def _groups_search(self, query: dict, **_: Any) -> Reply:
        text = (query.get("search") or [""])[0].lower()
        found = [group for group in DEMO_GROUPS if text in group["name"].lower()]
        offset, limit = _whole(query, "offset", 0), _whole(query, "limit", 30)
        return Reply(200, found[offset : offset + limit])

    def _datasets_search(self, body: bytes, **_: Any) -> Reply:
        request = _json_object(body)
        pattern = "*"
        for entry in request.get("filters") or []:
            if isinstance(entry, dict) and entry.get("filterType") == "wildcard":
                pattern = str(entry.get("query") or "*")
        needle = pattern.strip("*").lower()
        found = [dataset for dataset in DEMO_DATASETS if needle in dataset["name"].lower()]
        offset = request.get("offset") if isinstance(request.get("offset"), int) else 0
        count = request.get("count") if isinstance(request.get("count"), int) else 20
        return Reply(200, {"dataSources": found[offset : offset + count], "totalCount": len(found)})

    def _accounts(self, **_: Any) -> Reply:
        return Reply(200, DEMO_ACCOUNTS)

    # One by id: a group answers `id` here (not `groupId`), a DataSet its core part.
    def _group(self, group_id: str, **_: Any) -> Reply:
        for group in DEMO_GROUPS:
            if str(group["groupId"]) == group_id:
                return Reply(200, {"id": group["groupId"], "name": group["name"],
                                   "type": group["groupType"], "memberCount": 4})  # fmt: skip
        return Reply(404, {"status": 404, "statusReason": "Not Found", "toe": _toe()})

    def _dataset(self, dataset_id: str, **_: Any) -> Reply:
        for dataset in DEMO_DATASETS:
            if dataset["id"] == dataset_id:
                return Reply(200, {**dataset, "owner": {"id": 481303514, "name": "Ada Lovelace"},
                                   "columnCount": 12, "lastUpdated": 1795000000000})  # fmt: skip
        return Reply(404, {"status": 404, "statusReason": "Not Found", "toe": _toe()})

    def _dataset_query(self, user: EmulatorUser, dataset_id: str, body: bytes, **_: Any) -> Reply:
        """Domo's query API on the demo DataSets that have rows: `SELECT * FROM table`
        with LIMIT and OFFSET, the only query a table run sends."""
        if not user.may_execute(""):  # the limited token's user may not read DataSets
            return _forbidden()
        if dataset_id not in DEMO_DATASET_ROWS:
            if any(dataset["id"] == dataset_id for dataset in DEMO_DATASETS):
                return _bad_request(f"No indexed schema found for {dataset_id}")
            return Reply(404, {"status": 404, "statusReason": "Not Found", "toe": _toe()})
        sql = str(_json_object(body).get("sql") or "")
        query = _SELECT_ALL.fullmatch(sql.strip())
        if query is None:
            return _bad_request("The emulator answers SELECT * FROM table only")
        table = DEMO_DATASET_ROWS[dataset_id]
        offset = int(query["offset"] or 0)
        end = offset + int(query["limit"]) if query["limit"] else None
        metadata = [{"type": kind, "dataSourceId": dataset_id} for kind in table["types"]]
        rows = table["rows"][offset:end]
        head = json.dumps({"datasource": dataset_id, "columns": table["columns"],
                           "metadata": metadata, "numRows": len(rows),
                           "numColumns": len(table["columns"])})  # fmt: skip
        # Written by hand so that a Decimal keeps every digit, as Domo's own JSON does.
        written = ",".join("[" + ",".join(map(_cell_json, row)) + "]" for row in rows)
        return Reply(200, f'{head[:-1]}, "rows": [{written}]}}'.encode())

    def _account(self, account_id: str, **_: Any) -> Reply:
        for account in DEMO_ACCOUNTS:
            if str(account["id"]) == account_id:
                return Reply(200, account)
        return Reply(404, {"status": 404, "statusReason": "Not Found", "toe": _toe()})

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        parts = urlsplit(target)
        path = parts.path
        query = parse_qs(parts.query)
        if path == "/_emulator/stats" and method == "GET":
            return Reply(200, self.stats())
        if path == "/_emulator/rate-limit" and method == "POST":
            return self._set_rate_limit(body)
        for route_method, pattern, handler_name in self._ROUTES:
            match = pattern.fullmatch(path)
            if not match:
                continue
            if method != route_method:
                return Reply(405, {"message": f"Method {method} not allowed"})
            user = self.tokens.get(_header(headers, "x-domo-developer-token"))
            if user is None:
                if path.startswith("/api/content/"):
                    return Reply(401, "Unauthorized", "text/plain")
                return Reply(
                    401, {"message": "Full authentication is required to access this resource"}
                )
            with self._lock:
                self._calls_by_user[user.id] += 1
            arguments = {name: unquote(value) for name, value in match.groupdict().items()}
            return getattr(self, handler_name)(user=user, query=query, body=body, **arguments)
        return Reply(404, {"status": 404, "statusReason": "Not Found", "toe": _toe()})

    # --- endpoints -----------------------------------------------------------------------

    def _me(self, user: EmulatorUser, **_: Any) -> Reply:
        return Reply(
            200,
            {
                "id": user.id,
                "displayName": user.display_name,
                "emailAddress": user.email,
                "role": "Admin",
            },
        )

    def _list_packages(self, **_: Any) -> Reply:
        return Reply(200, [self._package_summary(package) for package in self.packages.values()])

    def _package(self, user: EmulatorUser, query: dict, package_id: str, **_: Any) -> Reply:
        package = self.packages.get(package_id)
        if package is None:
            return Reply(404, {"message": f"Package {package_id} not found"})
        if not user.may_execute(package_id):
            return _forbidden()
        summary = self._package_summary(package)
        if "versions" in ",".join(query.get("parts", [])):
            summary["versions"] = [
                self._version_summary(package, version) for version in package["versions"]
            ]
        return Reply(200, summary)

    def _version(
        self, user: EmulatorUser, query: dict, package_id: str, version: str, **_: Any
    ) -> Reply:
        package, released = self._released_version(package_id, version)
        if not released:
            return Reply(
                404,
                {"message": f"Version {version} of package {package_id} not found or not released"},
            )
        if not user.may_execute(package_id):
            return _forbidden()
        reply = self._version_summary(package, version)
        if "functions" in ",".join(query.get("parts", [])):
            reply["functions"] = [
                function["definition"] for function in package["versions"][version]["functions"]
            ]
        return Reply(200, reply)

    def _run(
        self,
        user: EmulatorUser,
        body: bytes,
        package_id: str,
        version: str,
        function_name: str,
        **_: Any,
    ) -> Reply:
        package, released = self._released_version(package_id, version)
        function = None
        if released:
            function = next(
                (
                    f
                    for f in package["versions"][version]["functions"]
                    if f["definition"]["name"] == function_name
                ),
                None,
            )
        if function is None:
            return Reply(
                404,
                {
                    "message": f"Function {function_name} not found in package "
                    f"{package_id} version {version}, or not released"
                },
            )
        if not user.may_execute(package_id):
            return _forbidden()
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            return Reply(400, {"message": "Malformed JSON request body"})
        if not isinstance(request, dict) or not isinstance(request.get("inputVariables", {}), dict):
            return Reply(400, {"message": "inputVariables must be an object"})
        if self._refused_for_rate():
            return Reply(
                429,
                {"status": 429, "message": "Too many requests", "toe": _toe()},
                headers={"Retry-After": self._retry_after} if self._retry_after else {},
            )
        fingerprint = hashlib.sha256(
            f"{package_id}/{version}/{function_name}".encode() + body
        ).digest()
        with self._lock:
            self.runs_received += 1
            self.received_runs.append((package_id, version, function_name, request))
            if fingerprint in self._run_fingerprints:
                self.repeated_runs += 1
            elif len(self._run_fingerprints) < _KEPT_FINGERPRINTS:
                self._run_fingerprints.add(fingerprint)
        limit = function.get("concurrency_limit")
        with self._lock:
            busy = limit is not None and self._running_calls[function_name] >= limit
            if busy:
                self.rate_limited_runs += 1
            else:
                self._running_calls[function_name] += 1
        if busy:
            return Reply(
                429,
                {"status": 429, "message": "Too many requests", "toe": _toe()},
                headers={"Retry-After": "1"},
            )
        try:
            execution = self._execute(user, package_id, version, function, request)
        finally:
            with self._lock:
                self._running_calls[function_name] -= 1
        if isinstance(execution, Reply):
            return execution
        with self._lock:
            self._executions[execution["executionId"]] = execution
            while len(self._executions) > _KEPT_EXECUTIONS:
                self._executions.popitem(last=False)
        return Reply(200, execution)

    def _execution(self, user: EmulatorUser, package_id: str, execution_id: str, **_: Any) -> Reply:
        with self._lock:
            execution = self._executions.get(execution_id)
        if execution is None or execution["packageId"] != package_id:
            return Reply(404, {"message": f"Execution {execution_id} not found or expired"})
        if not user.may_execute(package_id):
            return _forbidden()
        return Reply(200, execution)

    # --- running a function --------------------------------------------------------------

    def _execute(
        self, user: EmulatorUser, package_id: str, version: str, function: dict, request: dict
    ) -> dict | Reply:
        definition = function["definition"]
        get_logs = bool((request.get("settings") or {}).get("getLogs"))
        sent = request.get("inputVariables") or {}
        execution = {
            "executionId": str(uuid.uuid4()),
            "packageId": package_id,
            "version": version,
            "functionName": definition["name"],
            "status": "SUCCESS",
            "settings": {"getLogs": get_logs},
            "startedOn": _now(),
            "startedBy": str(user.id),
            "completedOn": None,
            "result": None,
            "stdout": {"log": []},
            "stderr": {"log": []},
            "errorInformation": None,
        }
        inputs, problems = {}, []
        for variable in definition["inputs"]:
            name = variable["name"]
            if name not in sent and not variable.get("nullable"):
                problems.append(f"{name}: required input is missing")
                continue
            inputs[name] = sent.get(name)
            problems += [
                f"{path}: {message}"
                for path, message in value_problems(variable, inputs[name], name)
            ]
        if problems:
            if self.input_errors == "http400":
                return Reply(400, {"message": "Invalid input: " + "; ".join(problems)})
            execution.update(
                status="FAILED",
                completedOn=_now(),
                errorInformation={"result": None, "errorMessages": problems},
            )
            return execution

        console = Console()
        output = definition.get("output")
        try:
            result = function["implementation"](inputs, console)
        except Exception as error:
            console.error("".join(traceback.format_exception_only(error)).strip())
            execution.update(
                status="FAILED",
                errorInformation={
                    "result": None,
                    "errorMessages": [f"{type(error).__name__}: {error}"],
                },
            )
        else:
            execution["result"] = result
            if output is not None and result is None and not output.get("nullable"):
                execution["status"] = "OUTPUT_UNDEFINED"
            elif output is not None and (
                problems := value_problems(output, result, output["name"])
            ):
                execution.update(
                    status="RESULT_TYPE_FAILURE",
                    errorInformation={
                        "result": result,
                        "expectedType": output["type"],
                        "actualType": "list" if isinstance(result, list) else domo_type_of(result),
                        "expectedIsList": bool(output.get("isList")),
                        "actualIsList": isinstance(result, list),
                        "expectedAllowNull": bool(output.get("nullable")),
                        "errorMessages": [f"{path}: {message}" for path, message in problems],
                    },
                )
        execution["completedOn"] = _now()
        if get_logs:
            execution["stdout"] = {"log": console.stdout}
            execution["stderr"] = {"log": console.stderr}
        return execution

    # --- shapes --------------------------------------------------------------------------

    def _released_version(self, package_id: str, version: str) -> tuple[dict | None, bool]:
        package = self.packages.get(package_id)
        if package is None or version not in package["versions"]:
            return package, False
        return package, bool(package["versions"][version]["released"])

    @staticmethod
    def _package_summary(package: dict) -> dict:
        return {
            "id": package["id"],
            "name": package["name"],
            "description": package["description"],
            "language": package["language"],
            "environment": "LAMBDA",
            "availability": package.get("availability", "PRIVATE"),
            "owner": 1001,
            "createdOn": _CREATED_ON,
            "updatedOn": _CREATED_ON,
        }

    @staticmethod
    def _version_summary(package: dict, version: str) -> dict:
        released = _CREATED_ON if package["versions"][version]["released"] else None
        return {
            "packageId": package["id"],
            "version": version,
            "description": "",
            "released": released,
            "releasedOn": released,
            "createdOn": _CREATED_ON,
            "updatedOn": _CREATED_ON,
            "createdBy": "1001",
            "updatedBy": "1001",
            "configuration": {"accountsMapping": [], "mlModel": [], "externalPackageMapping": {}},
        }

    def stats(self) -> dict:
        with self._lock:
            return {
                "connections_opened": self.connections_opened,
                "runs_received": self.runs_received,
                "repeated_runs": self.repeated_runs,
                "rate_limited_runs": self.rate_limited_runs,
            }

    def calls_by(self, user_id: int) -> int:
        """How many requests came with a token of this Domo user, since the start."""
        with self._lock:
            return self._calls_by_user[user_id]

    def refuse_runs(self, count: int, retry_after: float | str | None = None) -> None:
        """Answer the next `count` runs with 429 (Retry-After: `retry_after`, if given)."""
        with self._lock:
            self._runs_to_refuse = count
            if isinstance(retry_after, int | float):
                retry_after = f"{retry_after:g}"
            self._retry_after = "".join(str(retry_after or "").splitlines())

    def _refused_for_rate(self) -> bool:
        with self._lock:
            if self._runs_to_refuse <= 0:
                return False
            self._runs_to_refuse -= 1
            self.rate_limited_runs += 1
            return True

    def _set_rate_limit(self, body: bytes) -> Reply:
        try:
            request = json.loads(body or b"{}")
            count = int(request.get("runs", 0))
            retry_after = request.get("retry_after")
        except (ValueError, TypeError, AttributeError):
            return Reply(400, {"message": 'Send {"runs": n, "retry_after": seconds}'})
        self.refuse_runs(count, retry_after)
        return Reply(200, self.stats())

    def _connection_opened(self) -> None:
        with self._lock:
            self.connections_opened += 1

    # --- HTTP ----------------------------------------------------------------------------

    def start(
        self, host: str = "127.0.0.1", port: int = 0, *, tls: ssl.SSLContext | None = None
    ) -> "RunningEmulator":
        """Serve on (host, port) in a background thread; port 0 picks a free port. With
        `tls`, a server-side context, it serves HTTPS."""
        server = _EmulatorHTTPServer((host, port), _RequestHandler, self, tls)
        thread = threading.Thread(
            target=server.serve_forever, name="codeengine-emulator", daemon=True
        )
        thread.start()
        return RunningEmulator(server, thread)


# A small directory, with the quirks of the real one: people whose fields come only as
# `attributes`, groups keyed `groupId`, DataSets in pages.
DEMO_PEOPLE = [
    {"id": 481303514, "displayName": "Ada Lovelace", "emailAddress": "ada@acme.example"},
    {"id": 481303515, "displayName": "Grace Hopper", "emailAddress": "grace@acme.example"},
    {"id": 481303516, "attributes": [
        {"key": "displayName", "values": ["Alan Turing"]},
        {"key": "emailAddress", "values": ["alan@acme.example"]}]},
    {"id": 481303517, "displayName": "Dana Analyst", "emailAddress": "dana@acme.example"},
]  # fmt: skip
DEMO_GROUPS = [
    {"groupId": 1201, "name": "Finance", "groupType": "closed"},
    {"groupId": 1202, "name": "Sales operations", "groupType": "open"},
    {"groupId": 1203, "name": "Data engineering", "groupType": "dynamic"},
]
DEMO_DATASETS = [
    {"id": f"9b1c4e2a-0000-4000-8000-00000000{number:04d}", "name": name, "rowCount": rows}
    for number, (name, rows) in enumerate(
        [("Sales pipeline", 1_204_331), ("Sales targets 2026", 48), ("Customers", 90_412),
         ("Orders", 2_750_118), ("Support tickets", 33_917)]
    )
]  # fmt: skip
# DataSets with rows, for runs over a table: their columns match demo functions' inputs.
_PEOPLE_TO_GREET = [
    ["Ada", True], ["Grace", False], ["Alan", None], ["Dana", True], ["Edsger", False],
    ["Barbara", None], ["Margaret", True], ["Linus", False], ["Katherine", True],
    ["Ken", None], ["Frances", True], ["Tim", False],
]  # fmt: skip
_NUMBER_PAIRS = [[number, number * 3 + 1] for number in range(1, 41)]
_TYPED_VALUES = [
    ["Line one\nline two", 42, Decimal("0.1"), True, "2026-04-23", "2026-04-23T12:00:00Z",
     "14:30:05", "PT1H30M"],
    ["naïve café", 9007199254740993, Decimal("12345.678901234567890"), False, "2026-02-28",
     "2026-02-28T23:59:59+01:00", "09:00:00", "P1D"],
    [None, -7, Decimal("-2.50"), None, None, None, None, None],
    ["tab\there", 0, Decimal("1E+2"), True, "2026-12-31", "2026-12-31T00:00:00Z",
     "00:00:00", "PT0S"],
]  # fmt: skip
DEMO_DATASET_ROWS = {
    "9b1c4e2a-0000-4000-8000-000000000005": {
        "name": "People to greet",
        "columns": ["name", "excited"],
        "types": ["STRING", "LONG"],
        "rows": [[name, None if excited is None else int(excited)] for name, excited in
                 _PEOPLE_TO_GREET],
    },
    "9b1c4e2a-0000-4000-8000-000000000006": {
        "name": "Number pairs",
        "columns": ["a", "b"],
        "types": ["LONG", "LONG"],
        "rows": _NUMBER_PAIRS,
    },
    "9b1c4e2a-0000-4000-8000-000000000007": {
        "name": "Typed values",
        "columns": ["text", "number", "decimal", "boolean", "date", "dateTime", "time",
                    "duration"],
        "types": ["STRING", "LONG", "DECIMAL", "STRING", "DATE", "DATETIME", "STRING",
                  "STRING"],
        "rows": _TYPED_VALUES,
    },
}  # fmt: skip
DEMO_DATASETS += [
    {"id": dataset_id, "name": table["name"], "rowCount": len(table["rows"])}
    for dataset_id, table in DEMO_DATASET_ROWS.items()
]
DEMO_ACCOUNTS = [
    {"id": 31, "name": "Salesforce (production)", "displayName": "Salesforce (production)",
     "dataProviderType": "salesforce"},
    {"id": 32, "name": "Snowflake warehouse", "displayName": "Snowflake warehouse",
     "dataProviderType": "snowflake"},
]  # fmt: skip


_SELECT_ALL = re.compile(
    r"SELECT \* FROM table(?: LIMIT (?P<limit>\d{1,9}))?(?: OFFSET (?P<offset>\d{1,9}))?",
    re.IGNORECASE,
)


def _cell_json(value: Any) -> str:
    return str(value) if isinstance(value, Decimal) else json.dumps(value)


def _whole(query: dict, name: str, default: int) -> int:
    value = (query.get(name) or [""])[0]
    return int(value) if value.isdigit() else default


def _json_object(body: bytes) -> dict:
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _header(headers: dict[str, str], name: str) -> str:
    return next((value for key, value in headers.items() if key.lower() == name), "")


def _toe() -> str:
    return "EMU-" + uuid.uuid4().hex[:16].upper()


def _bad_request(message: str) -> Reply:
    return Reply(400, {"status": 400, "statusReason": "Bad Request", "toe": _toe(),
                       "message": message})  # fmt: skip


def _forbidden() -> Reply:
    return Reply(403, {"status": 403, "statusReason": "Forbidden", "toe": _toe()})


class _EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024

    def __init__(
        self, address, handler_class, emulator: CodeEngineEmulator, tls: ssl.SSLContext | None
    ):
        self.emulator = emulator
        self.tls = tls
        self.quiet = True
        super().__init__(address, handler_class)

    def handle_error(self, request, client_address) -> None:
        # A client that does not trust the certificate, or hangs up, is not the emulator's
        # failure: nothing to print.
        if not isinstance(sys.exception(), ssl.SSLError | ConnectionError):
            super().handle_error(request, client_address)


class _RequestHandler(BaseHTTPRequestHandler):
    server: _EmulatorHTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "CodeEngineEmulator/1.0"
    disable_nagle_algorithm = True

    def setup(self) -> None:
        emulator = self.server.emulator
        emulator._connection_opened()
        # A new connection costs a round trip (TCP), and one more for TLS; done here, in
        # the connection's own thread, so a slow handshake never holds up accepting others.
        round_trips = 2 if self.server.tls else 1
        time.sleep(2 * emulator.latency_seconds * round_trips)
        if self.server.tls is not None:
            self.request = self.server.tls.wrap_socket(self.request, server_side=True)
        super().setup()

    def _serve(self) -> None:
        emulator = self.server.emulator
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_REQUEST_BYTES:
            reply = Reply(413, {"message": "Request body too large"})
            self.close_connection = True
        else:
            body = self.rfile.read(length) if length else b""
            time.sleep(emulator.latency_seconds)  # the request's way here
            reply = emulator.handle(self.command, self.path, dict(self.headers.items()), body)
        content = reply.encoded()
        time.sleep(emulator.latency_seconds)  # the answer's way back
        self.log_request(reply.status, len(content))
        # Status line, headers and body in one write: split writes on a kept-alive
        # connection wait for the client's delayed ACK.
        head = (
            f"{self.protocol_version} {reply.status} {self.responses.get(reply.status, ('',))[0]}"
            f"\r\nServer: {self.version_string()}\r\nDate: {self.date_time_string()}"
            f"\r\nContent-Type: {reply.content_type}\r\nContent-Length: {len(content)}"
            + "".join(f"\r\n{name}: {value}" for name, value in reply.headers.items())
            + ("\r\nConnection: close" if self.close_connection else "")
            + "\r\n\r\n"
        )
        self.wfile.write(head.encode("latin-1") + content)

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            super().log_message("%s", redact(format % args))


class RunningEmulator:
    def __init__(self, server: _EmulatorHTTPServer, thread: threading.Thread):
        self.server = server
        self.thread = thread
        host, port = server.server_address[:2]
        self.url = f"{'https' if server.tls else 'http'}://{host}:{port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> "RunningEmulator":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()
