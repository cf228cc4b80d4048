"""A small client for the Domo Code Engine API.

Knows nothing of Django: give it a base URL, an access token and, in tests, an httpx
transport. Every call has one overall deadline (a slow-drip reply still ends), reads at
most `max_response_bytes`, never follows a redirect and is never retried; every failure
is raised as one of the exceptions in `errors`.
"""

import asyncio
import contextlib
import json
import re
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import httpx

from codeengine_ui.json_text import (
    MAX_DEPTH,
    NotStandardJSON,
    deeper_than,
    loads,
    may_hold_lone_surrogates,
    replace_lone_surrogates,
)
from codeengine_ui.outbound import run_to_end

from .errors import (
    BadTokenError,
    CodeEngineError,
    CodeEngineTimeoutError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RequestRefusedError,
    ResponseTooLargeError,
    UnreachableError,
    UpstreamError,
    says_already,
)
from .exact_json import exact_loads
from .redaction import mask, register_secret

TOKEN_HEADER = "X-DOMO-Developer-Token"
PACKAGES_PATH = "/api/codeengine/v2/packages"
RUN_PATH = PACKAGES_PATH + "/{package_id}/versions/{version}/functions/{function_name}"
# Code Engine stops a function after 5 minutes; a call waits that long and a margin more.
FUNCTION_TIME_LIMIT_SECONDS = 300
DEFAULT_TIMEOUT_SECONDS = FUNCTION_TIME_LIMIT_SECONDS + 30.0
DEFAULT_CONNECT_TIMEOUT_SECONDS = 10.0
DEFAULT_MAX_RESPONSE_BYTES = 50 * 1024 * 1024
USER_AGENT = "codeengine-console/0.1"

_DOMO_HOST = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.domo\.com")
# One path segment: no slash, no leading dot, nothing that could change the URL's path.
_PATH_SEGMENT = re.compile(r"[A-Za-z0-9_$][A-Za-z0-9._$+-]{0,199}")
_DETAIL_LIMIT = 300


def run_body(input_variables: Any, *, get_logs: bool) -> dict:
    """The body of a run call."""
    return {"inputVariables": input_variables, "settings": {"getLogs": bool(get_logs)}}


def check_base_url(base_url: str, allowed_hosts: Iterable[str]) -> str:
    """The normalised base URL if the console may call it; InvalidRequestError otherwise.

    `https://{subdomain}.domo.com` is always allowed. Any other host is allowed only when
    listed in `allowed_hosts`, as `host` (default port only) or `host:port`.
    """
    refusal = f"The address {base_url!r} is not a Code Engine instance the console may call"
    try:
        parts = urlsplit(base_url.strip())
        port = parts.port
    except ValueError as error:
        raise InvalidRequestError(f"{refusal}: {error}.") from error
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http") or not host:
        raise InvalidRequestError(f"{refusal}: it must start with https:// and name a host.")
    if "@" in parts.netloc or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise InvalidRequestError(f"{refusal}: only a scheme and a host are allowed.")
    netloc = host if port is None else f"{host}:{port}"
    if parts.scheme == "https" and port is None and _DOMO_HOST.fullmatch(host):
        return f"https://{host}"
    allowed = {entry.strip().lower() for entry in allowed_hosts if entry.strip()}
    if netloc in allowed:
        return f"{parts.scheme}://{netloc}"
    raise InvalidRequestError(
        f"{refusal}: only https://<instance>.domo.com, or a host listed in "
        "CODEENGINE_ALLOWED_HOSTS, can be called."
    )


def path_segment(value: object, what: str) -> str:
    """`value` if it is safe as one URL path segment; InvalidRequestError otherwise."""
    if isinstance(value, str) and _PATH_SEGMENT.fullmatch(value):
        return value
    raise InvalidRequestError(
        f"The {what} {value!r} is not valid: use letters, digits and . _ - $ + only, "
        "without slashes."
    )


class DeveloperTokenAuth(httpx.Auth):
    """Puts the token in its header at send time, so it never sits in a URL or a repr."""

    def __init__(self, token: str):
        # The console checks a secret when it is stored (catalog.models.checked_secret);
        # this only refuses what no header can carry, whoever calls the client.
        if not isinstance(token, str) or not token.strip():
            raise InvalidRequestError("The access token is empty.")
        if not token.isascii() or not token.isprintable() or token != token.strip():
            raise InvalidRequestError("The access token contains characters a header cannot carry.")
        self._token = token
        register_secret(token)

    def auth_flow(self, request: httpx.Request):
        request.headers[TOKEN_HEADER] = self._token
        yield request

    def scrub(self, text: str) -> str:
        return text.replace(self._token, "[redacted token]")

    def __repr__(self) -> str:
        return f"DeveloperTokenAuth({mask(self._token)})"


@dataclass(frozen=True)
class FunctionExecution:
    """A Code Engine execution as returned by run and get-execution (HTTP 200).

    `status` is Domo's word for the outcome (SUCCESS, FAILED, RESULT_TYPE_FAILURE, ...):
    a function that failed still comes back as HTTP 200.
    """

    status: str
    execution_id: str = ""
    result: Any = None
    stdout: list = field(default_factory=list)
    stderr: list = field(default_factory=list)
    error_information: dict | None = None
    started_on: datetime | None = None
    completed_on: datetime | None = None
    started_by: str = ""
    http_status: int = 200

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCESS"

    @classmethod
    def from_reply(cls, body: Any, http_status: int = 200) -> "FunctionExecution":
        if not isinstance(body, dict):
            raise UpstreamError(
                f"Code Engine answered HTTP {http_status} with {type(body).__name__} "
                "instead of an execution object.",
                http_status=http_status,
            )
        error_information = body.get("errorInformation")
        return cls(
            status=str(body.get("status") or "UNDEFINED").upper(),
            execution_id=str(body.get("executionId") or body.get("id") or ""),
            result=body.get("result"),
            stdout=_log_entries(body.get("stdout")),
            stderr=_log_entries(body.get("stderr")),
            error_information=error_information if isinstance(error_information, dict) else None,
            started_on=_parse_timestamp(body.get("startedOn")),
            completed_on=_parse_timestamp(body.get("completedOn")),
            started_by=str(body.get("startedBy") or ""),
            http_status=http_status,
        )


def _log_entries(log: Any) -> list:
    """Log entries are typed "any" by Domo: accept {"log": [...]}, a list or a string."""
    if isinstance(log, dict):
        log = log.get("log")
    if isinstance(log, list):
        return log
    if isinstance(log, str) and log:
        return log.splitlines()
    return []


def _parse_timestamp(value: Any) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_CLIENT_OPTIONS: dict[str, Any] = {
    "follow_redirects": False,
    "headers": {"Accept": "application/json", "User-Agent": USER_AGENT},
}


class HttpPool:
    """Long-lived HTTP clients for many calls at once (the run worker's): connections stay
    open between calls, up to `max_connections` in all. Use it from one event loop and
    close it (`aclose`) when done.

    httpcore looks through every connection of a pool on each request, so one pool of 256
    connections spent more CPU per call than the call itself (8.7 s for 500 calls, against
    1.4 s in pools of 16; 5,000 instant runs went about a tenth faster in pools of 4 than
    of 8, 2 being no better). The connections are spread over small pools instead; a call
    takes the first pool with room, so calls one after another reuse one connection."""

    CONNECTIONS_PER_POOL = 4

    def __init__(self, *, max_connections: int, ca_bundle: str = ""):
        per_pool = self.CONNECTIONS_PER_POOL
        self._clients = [
            httpx.AsyncClient(
                verify=_ssl_context(ca_bundle),
                limits=httpx.Limits(
                    max_connections=per_pool,
                    max_keepalive_connections=per_pool,
                    keepalive_expiry=30,
                ),
                **_CLIENT_OPTIONS,
            )
            for _ in range(max(1, -(-max_connections // per_pool)))
        ]
        self._calls = [0] * len(self._clients)

    @contextlib.asynccontextmanager
    async def client(self) -> AsyncIterator[httpx.AsyncClient]:
        free = [i for i, calls in enumerate(self._calls) if calls < self.CONNECTIONS_PER_POOL]
        index = free[0] if free else min(range(len(self._calls)), key=self._calls.__getitem__)
        self._calls[index] += 1
        try:
            yield self._clients[index]
        finally:
            self._calls[index] -= 1

    async def aclose(self) -> None:
        for client in self._clients:
            await client.aclose()


@cache
def _ssl_context(ca_bundle: str = "") -> ssl.SSLContext:
    """The system's trusted authorities, and those in `ca_bundle` (a PEM file) too."""
    context = ssl.create_default_context()
    if ca_bundle:
        context.load_verify_locations(cafile=ca_bundle)
    return context


def describe_error_body(content: bytes) -> tuple[str, str]:
    """(detail, trace id) from an error body: JSON {message} or {status, statusReason, toe},
    plain text such as "Unauthorized", or an HTML error page."""
    text = content.decode("utf-8", errors="replace").strip()
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):
        body = None
    if isinstance(body, dict):
        detail = next(
            (
                str(body[key])
                for key in ("message", "statusReason", "error", "detail")
                if body.get(key)
            ),
            "",
        )
        detail, _ = replace_lone_surrogates(detail)
        return _shorten(detail), str(body.get("toe") or "")
    if re.search(r"<\s*html|<\s*!doctype", text[:500], re.IGNORECASE):
        title = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
        text = title.group(1) if title else re.sub(r"<[^>]+>", " ", text)
    return _shorten(" ".join(text.split())), ""


def _shorten(text: str) -> str:
    """Django's Truncator does this elsewhere; the client stays free of Django."""
    return text if len(text) <= _DETAIL_LIMIT else text[: _DETAIL_LIMIT - 1] + "…"


USERS_SEARCH_PATH = "/api/identity/v1/users/search"
GROUPS_SEARCH_PATH = "/api/content/v2/groups/grouplist"
DATASETS_SEARCH_PATH = "/api/data/ui/v3/datasources/search"
ACCOUNTS_PATH = "/api/data/v1/accounts"
DATASET_QUERY_PATH = "/api/query/v1/execute/{id}"
# One entry by id (people are asked for in bulk through the search instead).
DIRECTORY_ENTRY_PATHS = {
    "group": "/api/content/v2/groups/{id}",
    "dataset": "/api/data/v3/datasources/{id}",
    "account": "/api/data/v1/accounts/{id}",
}
DIRECTORY_KINDS = ("person", "group", "dataset", "account")


@dataclass(frozen=True)
class DirectoryEntry:
    """One person, group, DataSet or account: its id as the function receives it, its
    name, and a detail that tells similar names apart (an email, a size, a type)."""

    id: str
    name: str
    detail: str = ""


def _listed(answer: Any, key: str) -> list:
    if isinstance(answer, dict):
        answer = answer.get(key)
    return (
        [entry for entry in answer if isinstance(entry, dict)] if isinstance(answer, list) else []
    )


def _text(value: Any) -> str:
    return str(value)[:200] if isinstance(value, str | int) and not isinstance(value, bool) else ""


def _attribute(entry: dict, key: str) -> str:
    """A user's field, given directly or only among its `attributes` [{key, values}]."""
    if _text(entry.get(key)):
        return _text(entry.get(key))
    for attribute in entry.get("attributes") or []:
        if isinstance(attribute, dict) and attribute.get("key") == key:
            values = attribute.get("values")
            if isinstance(values, list) and values:
                return _text(values[0])
    return ""


def _person(entry: dict) -> "DirectoryEntry | None":
    person_id = _attribute(entry, "id")
    if not person_id:
        return None
    name = _attribute(entry, "displayName") or person_id
    return DirectoryEntry(person_id, name, _attribute(entry, "emailAddress"))


def _named(entry: dict, id_keys: tuple[str, ...], detail_key: str) -> "DirectoryEntry | None":
    entry_id = next((_text(entry.get(key)) for key in id_keys if _text(entry.get(key))), "")
    if not entry_id:
        return None
    name = _text(entry.get("name")) or _text(entry.get("displayName")) or entry_id
    return DirectoryEntry(entry_id, name, _text(entry.get(detail_key)))


def _dataset(entry: dict) -> "DirectoryEntry | None":
    found = _named(entry, ("id",), "")
    if found is None:
        return None
    rows = entry.get("rowCount")
    detail = _row_count(rows) if isinstance(rows, int) and not isinstance(rows, bool) else ""
    return DirectoryEntry(found.id, found.name, detail)


def _row_count(rows: int) -> str:
    """48 rows, 90.4 K rows, 1.2 M rows: a DataSet's size at a glance."""
    for size, unit in ((10**9, "B"), (10**6, "M"), (10**3, "K")):
        if rows >= size:
            return f"{rows / size:.1f} {unit} rows"
    return f"{rows} row" + ("" if rows == 1 else "s")


class CodeEngineClient:
    """Calls one Domo instance with one access token."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_SECONDS,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        ca_bundle: str = "",
        transport: httpx.AsyncBaseTransport | None = None,
        http: HttpPool | None = None,
    ):
        """`http`, long-lived clients (the worker's), keeps connections alive between
        calls; without it each call opens and closes its own."""
        self.base_url = base_url.rstrip("/")
        self.ca_bundle = ca_bundle
        self.timeout = timeout
        self.connect_timeout = min(connect_timeout, timeout)
        self.max_response_bytes = max_response_bytes
        self._auth = DeveloperTokenAuth(token)
        self._transport = transport
        self._http = http

    def __repr__(self) -> str:
        return f"CodeEngineClient({self.base_url!r}, {self._auth!r})"

    # --- Code Engine calls ---------------------------------------------------------------

    def run_function(
        self,
        package_id: str,
        version: str,
        function_name: str,
        input_variables: dict[str, Any],
        *,
        get_logs: bool = False,
        timeout: float | None = None,
    ) -> FunctionExecution:
        return self._call(
            self.run_function_async(
                package_id,
                version,
                function_name,
                input_variables,
                get_logs=get_logs,
                timeout=timeout,
            )
        )

    async def run_function_async(
        self,
        package_id: str,
        version: str,
        function_name: str,
        input_variables: dict[str, Any],
        *,
        get_logs: bool = False,
        on_send: Callable[[], Awaitable[None]] | None = None,
        timeout: float | None = None,
    ) -> FunctionExecution:
        """Run the function. `on_send` is awaited once the connection is open, just before
        the request's first byte is written: until then Code Engine cannot have the run,
        and an exception it raises ends the call without sending anything. `timeout`, when
        shorter, replaces the client's for this call (a function's own limit)."""
        path = RUN_PATH.format(
            package_id=path_segment(package_id, "package id"),
            version=path_segment(version, "version"),
            function_name=path_segment(function_name, "function name"),
        )
        payload = run_body(input_variables, get_logs=get_logs)
        status, body = await self._request(
            "POST", path, payload=payload, on_send=on_send, timeout=timeout
        )
        return FunctionExecution.from_reply(body, status)

    def get_execution(self, package_id: str, execution_id: str) -> FunctionExecution:
        path = "{}/{}/executions/{}".format(
            PACKAGES_PATH,
            path_segment(package_id, "package id"),
            path_segment(execution_id, "execution id"),
        )
        status, body = self._call(self._request("GET", path))
        return FunctionExecution.from_reply(body, status)

    def get_package(self, package_id: str) -> dict:
        """The package, its `versions` always a list of objects (whatever else was sent)."""
        path = f"{PACKAGES_PATH}/{path_segment(package_id, 'package id')}"
        package = self._object(self._request("GET", path, params={"parts": "versions"}), "package")
        package["versions"] = _listed(package, "versions")
        return package

    def get_version(self, package_id: str, version: str) -> dict:
        """The version, its `functions` always a list of objects (whatever else was sent)."""
        path = "{}/{}/versions/{}".format(
            PACKAGES_PATH, path_segment(package_id, "package id"), path_segment(version, "version")
        )
        details = self._object(self._request("GET", path, params={"parts": "functions"}), "version")
        details["functions"] = _listed(details, "functions")
        return details

    def list_packages(self) -> list[dict]:
        status, body = self._call(self._request("GET", PACKAGES_PATH))
        if isinstance(body, dict) and isinstance(body.get("packages"), list):
            body = body["packages"]
        if not isinstance(body, list):
            raise UpstreamError(
                f"Code Engine answered HTTP {status} with something other than a package list.",
                http_status=status,
            )
        return [package for package in body if isinstance(package, dict)]

    def search_directory(self, kind: str, text: str, limit: int = 20) -> list["DirectoryEntry"]:
        """People, groups, DataSets or accounts of the instance whose name matches `text`,
        read leniently from Domo's product APIs (the same token header)."""
        text = text.strip()[:100]
        if kind == "person":
            body = {"filters": [{"filterType": "text", "text": text}], "limit": limit,
                    "offset": 0, "showCount": True, "parts": ["MINIMAL"]}  # fmt: skip
            answer = self._body(self._request("POST", USERS_SEARCH_PATH, payload=body))
            entries = _listed(answer, "users")
            return [e for e in (_person(entry) for entry in entries) if e][:limit]
        if kind == "group":
            params = {"search": text, "sort": "name", "ascending": "true", "limit": limit,
                      "offset": 0}  # fmt: skip
            answer = self._body(self._request("GET", GROUPS_SEARCH_PATH, params=params))
            entries = _listed(answer, "groups")
            return [e for e in (_named(entry, ("groupId", "id"), "groupType") for entry in entries)
                    if e][:limit]  # fmt: skip
        if kind == "dataset":
            query = f"*{text}*" if text else "*"
            body = {"entities": ["DATASET"], "query": "*", "count": limit, "offset": 0,
                    "filters": [{"field": "name_sort", "filterType": "wildcard", "query": query}],
                    "combineResults": True}  # fmt: skip
            answer = self._body(self._request("POST", DATASETS_SEARCH_PATH, payload=body))
            entries = _listed(answer, "dataSources")
            return [e for e in (_dataset(entry) for entry in entries) if e][:limit]
        if kind == "account":
            answer = self._body(self._request("GET", ACCOUNTS_PATH))
            accounts = [
                _named(entry, ("id",), "dataProviderType") for entry in _listed(answer, "accounts")
            ]
            needle = text.lower()
            return [a for a in accounts if a and needle in f"{a.name} {a.id}".lower()][:limit]
        raise ValueError(f"no directory of {kind}")

    def people_by_ids(self, ids: list[str]) -> list["DirectoryEntry"]:
        """The people with these ids, in one call (ids the instance does not know are left
        out of the answer)."""
        by_id = {"field": "id", "filterType": "value", "values": list(ids), "operator": "EQ"}
        body = {"filters": [by_id], "limit": len(ids), "offset": 0, "showCount": False,
                "parts": ["MINIMAL"]}  # fmt: skip
        answer = self._body(self._request("POST", USERS_SEARCH_PATH, payload=body))
        return [e for e in (_person(entry) for entry in _listed(answer, "users")) if e]

    def directory_entry(self, kind: str, entity_id: str) -> "DirectoryEntry | None":
        """One group, DataSet or account by its id; None when the instance does not know it
        (other errors are raised). An account's credentials are never asked for."""
        try:
            path = DIRECTORY_ENTRY_PATHS[kind].format(id=path_segment(entity_id, f"{kind} id"))
        except InvalidRequestError:
            return None  # not something an id can be
        params = {"part": "core"} if kind == "dataset" else None
        try:
            answer = self._body(self._request("GET", path, params=params))
        except NotFoundError:
            return None
        if not isinstance(answer, dict):
            return None
        if kind == "dataset":
            return _dataset(answer)
        if kind == "group":
            return _named(answer, ("id", "groupId"), "type")
        return _named(answer, ("id",), "dataProviderType")

    def query_dataset(self, dataset_id: str, sql: str) -> Any:
        """The answer of Domo's query API for `sql` on a DataSet, as sent (read by
        `dataset_rows`, which checks its shape): numbers keep their digits, a decimal a
        double would round is kept as its literal text."""
        path = DATASET_QUERY_PATH.format(id=path_segment(dataset_id, "DataSet id"))
        return self._body(self._request("POST", path, payload={"sql": sql}, parse=exact_loads))

    def _body(self, request: Coroutine) -> Any:
        _status, body = self._call(request)
        return body

    def check_token(self) -> dict:
        """The Domo user the token belongs to (a cheap identity call)."""
        return self._object(self._request("GET", "/api/content/v2/users/me"), "user")

    # --- transport -----------------------------------------------------------------------

    def _object(self, request: Coroutine, what: str) -> dict:
        status, body = self._call(request)
        if not isinstance(body, dict):
            raise UpstreamError(
                f"Code Engine answered HTTP {status} with something other than a {what} object.",
                http_status=status,
            )
        return body

    @staticmethod
    def _call(coroutine: Coroutine) -> tuple[int, Any]:
        return run_to_end(coroutine)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict | None = None,
        payload: Any = None,
        on_send: Callable[[], Awaitable[None]] | None = None,
        timeout: float | None = None,
        parse: Callable[[bytes], Any] = loads,
    ) -> tuple[int, Any]:
        host = urlsplit(self.base_url).netloc
        limit = min(timeout, self.timeout) if timeout else self.timeout
        try:
            # One deadline over the whole call (see codeengine_ui.outbound): the worker
            # awaits this coroutine itself, so the deadline is set here.
            async with asyncio.timeout(limit):
                status, headers, content = await self._send(
                    method, path, params, payload, _tracing(on_send), limit
                )
        except (TimeoutError, httpx.TimeoutException) as error:
            if isinstance(error, httpx.ConnectTimeout):
                raise UnreachableError(
                    f"Could not connect to {host} within {self.connect_timeout:g} seconds."
                ) from None
            unit = "second" if limit == 1 else "seconds"
            raise CodeEngineTimeoutError(
                f"No complete answer from Code Engine within {limit:g} {unit}."
            ) from None
        except httpx.ConnectError as error:
            reason = self._auth.scrub(str(error)) or "connection failed"
            raise UnreachableError(
                f"Could not connect to {host} ({reason}).", lasting=_lasting(error)
            ) from None
        except (httpx.TransportError, httpx.StreamError) as error:
            raise UpstreamError(
                f"The connection to {host} broke before the answer was complete "
                f"({type(error).__name__})."
            ) from None
        return status, self._interpret(status, content, headers, parse)

    async def _send(
        self,
        method: str,
        path: str,
        params: dict | None,
        payload: Any,
        extensions: dict,
        limit: float,
    ) -> tuple[int, httpx.Headers, bytes]:
        if self._http is not None:
            async with self._http.client() as client:
                return await self._exchange(
                    client, method, path, params, payload, extensions, limit
                )
        if self._transport is not None:
            client = httpx.AsyncClient(transport=self._transport, **_CLIENT_OPTIONS)
        else:
            client = httpx.AsyncClient(verify=_ssl_context(self.ca_bundle), **_CLIENT_OPTIONS)
        async with client:
            return await self._exchange(client, method, path, params, payload, extensions, limit)

    async def _exchange(
        self,
        client: httpx.AsyncClient,
        method: str,
        path: str,
        params: dict | None,
        payload: Any,
        extensions: dict,
        limit: float,
    ) -> tuple[int, httpx.Headers, bytes]:
        request = client.build_request(
            method,
            self.base_url + path,
            params=params,
            json=payload,
            timeout=httpx.Timeout(limit, connect=min(self.connect_timeout, limit)),
            extensions=extensions,
        )
        response = await client.send(request, auth=self._auth, stream=True)
        try:
            content = await self._read_capped(response)
        finally:
            await response.aclose()
        if response.is_redirect:
            location = urlsplit(response.headers.get("location", "")).netloc
            raise UpstreamError(
                f"Code Engine answered with a redirect (HTTP {response.status_code}"
                + (f" to {location}" if location else "")
                + "), which the console does not follow.",
                http_status=response.status_code,
            )
        return response.status_code, response.headers, content

    async def _read_capped(self, response: httpx.Response) -> bytes:
        too_large = ResponseTooLargeError(
            f"The answer from Code Engine is larger than "
            f"{self.max_response_bytes / 1024 / 1024:g} MB and was not read.",
            http_status=response.status_code,
        )
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_response_bytes:
            raise too_large
        chunks, size = [], 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self.max_response_bytes:
                raise too_large
            chunks.append(chunk)
        return b"".join(chunks)

    def _interpret(
        self, status: int, content: bytes, headers: httpx.Headers, parse: Callable = loads
    ) -> Any:
        if 200 <= status < 300:
            if not content.strip():
                return None
            try:
                body = parse(content)
            except (ValueError, RecursionError) as error:
                why = f" ({error})" if isinstance(error, NotStandardJSON) else ""
                raise UpstreamError(
                    f"Code Engine answered HTTP {status}, but the body is not readable JSON{why}.",
                    http_status=status,
                ) from None
            # The reply wraps the result in one more level.
            if deeper_than(body, MAX_DEPTH + 1):
                raise ResponseTooLargeError(
                    f"Code Engine answered HTTP {status} with JSON nested deeper than "
                    f"{MAX_DEPTH:,} levels, which the console cannot keep.",
                    http_status=status,
                )
            if may_hold_lone_surrogates(content):
                body, _ = replace_lone_surrogates(body)
            return body
        detail, trace_id = describe_error_body(content)
        detail = self._auth.scrub(detail)
        if status == 429:
            raise RateLimitedError(
                _with_domo_words(
                    "Code Engine is limiting the rate of calls (HTTP 429), so the function "
                    "did not run.",
                    detail,
                ),
                retry_after=retry_after_seconds(headers.get("retry-after", "")),
                http_status=status,
                detail=detail,
                trace_id=trace_id,
            )
        raise _error_for_status(status, detail, trace_id)


def _lasting(error: httpx.ConnectError) -> bool:
    """A connection that failed on the certificate or the host name fails again."""
    cause = error.__context__
    while cause is not None and not isinstance(cause, ssl.SSLError | socket.gaierror):
        cause = cause.__context__
    if isinstance(cause, ssl.SSLError):
        return True
    if isinstance(cause, socket.gaierror):
        return cause.errno != socket.EAI_AGAIN  # "temporary failure" is worth a wait
    return False


def retry_after_seconds(value: str, now: datetime | None = None) -> float | None:
    """A Retry-After header in seconds from now: a number of seconds or an HTTP date;
    None when absent or unreadable."""
    value = value.strip()
    if not value:
        return None
    if value.isascii() and value.replace(".", "", 1).isdigit() and len(value) < 12:
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


def _with_domo_words(message: str, detail: str) -> str:
    """`message`, then Domo's own words about it unless they only repeat the message."""
    if not detail or says_already(message, detail):
        return message
    return f'{message} Domo said: "{detail}".'


def _error_for_status(status: int, detail: str, trace_id: str) -> CodeEngineError:
    trace = f" (trace id {trace_id})" if trace_id else ""
    options = {"http_status": status, "detail": detail, "trace_id": trace_id}
    if status == 401:
        return BadTokenError(
            _with_domo_words(
                "The access token was refused (HTTP 401): it is wrong, expired or revoked.",
                detail,
            ),
            **options,
        )
    if status == 403:
        return PermissionDeniedError(
            _with_domo_words(
                "Access denied (HTTP 403): the token's owner has no EXECUTE permission on "
                "this package.",
                detail,
            ),
            **options,
        )
    if status == 404:
        return NotFoundError(
            _with_domo_words(
                "Code Engine found no such package, version or function (HTTP 404), or the "
                "version is not released; only released versions run from outside Domo.",
                detail,
            ),
            **options,
        )
    if 400 <= status < 500:
        return RequestRefusedError(
            _with_domo_words(f"Code Engine refused the request (HTTP {status}).", detail) + trace,
            **options,
        )
    return UpstreamError(
        _with_domo_words(f"Code Engine failed with HTTP {status}.", detail) + trace,
        **options,
    )


def _tracing(on_send: Callable[[], Awaitable[None]] | None) -> dict:
    """httpx's request extensions that await `on_send` as the request starts to be written
    (httpcore's trace events), once."""
    if on_send is None:
        return {}
    fired = False

    async def trace(event: str, info: dict) -> None:
        nonlocal fired
        if not fired and event.endswith("send_request_headers.started"):
            fired = True
            await on_send()

    return {"trace": trace}
