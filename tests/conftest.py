import ipaddress
import socket
import threading
from collections.abc import Callable

import pytest
from django.conf import settings
from django.contrib.auth.models import Group

from codeengine_ui.catalog.importing import save_function
from codeengine_ui.catalog.models import AccessToken, Function, Instance
from codeengine_ui.demo.emulator import CodeEngineEmulator, EmulatorUser
from codeengine_ui.demo.package import DEMO_PACKAGE_ID, LATEST_DEMO_VERSION, demo_packages
from codeengine_ui.runs.models import Execution
from tests.identity_provider import identity_provider  # noqa: F401  (a fixture)

DEVELOPER_TOKEN = "dev-token-6f1d2c3b4a5e6f708192a3b4c5d6e7f8"
ANALYST_TOKEN = "analyst-token-0a1b2c3d4e5f60718293a4b5c6d7e8f9"
# A token whose every appearance outside its encrypted column is a leak.
LEAK_MARKER_TOKEN = "LEAKMARKER-b4f1e09c7d2a53e6a8c1f0d9e2b7a4c3"

# --- No test may reach the internet --------------------------------------------------------

_blocked_connections: list[str] = []
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


class InternetBlockedError(RuntimeError):
    """Raised (not an OSError, so no client mistakes it for a network hiccup)."""


def _guard(address) -> None:
    if not isinstance(address, tuple):
        return  # Unix sockets
    host = address[0]
    try:
        allowed = ipaddress.ip_address(host).is_loopback
    except ValueError:
        allowed = host == "localhost"
    if not allowed:
        _blocked_connections.append(f"{host}:{address[1]}")
        raise InternetBlockedError(f"Tests may not connect to {host}:{address[1]}")


def _guarded_connect(self, address):
    _guard(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    _guard(address)
    return _real_connect_ex(self, address)


socket.socket.connect = _guarded_connect
socket.socket.connect_ex = _guarded_connect_ex


@pytest.fixture(autouse=True)
def no_internet():
    """Fails a test that tried to reach a non-loopback address, even if the error was caught."""
    _blocked_connections.clear()
    yield
    assert not _blocked_connections, f"Test tried to reach the internet: {_blocked_connections}"


# --- The local Code Engine -----------------------------------------------------------------

EMULATOR_USERS = {
    DEVELOPER_TOKEN: EmulatorUser(1001, "Demo Developer", "developer@example.com"),
    LEAK_MARKER_TOKEN: EmulatorUser(1003, "Leak Check", "leak@example.com"),
    ANALYST_TOKEN: EmulatorUser(
        1002,
        "Demo Analyst",
        "analyst@example.com",
        executable_packages=frozenset({DEMO_PACKAGE_ID}),
    ),
}


@pytest.fixture(autouse=True)
def names_read_afresh():
    """Names read by an earlier test's pages are not remembered into the next one."""
    from codeengine_ui.catalog import models as catalog_models

    catalog_models._names_read.clear()


@pytest.fixture(scope="session")
def emulator():
    """The emulator as the tests' upstream; a wrong input type answers 200 FAILED."""
    running = CodeEngineEmulator(EMULATOR_USERS).start(port=settings.TEST_EMULATOR_PORT)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def shared_stack():
    """The whole console as `make run` starts it (web server, worker, emulator and the demo's
    data without its history), started once for every test module that needs a stack. The
    modules share it: each makes its own keys and users, and none expects an empty history."""
    from pathlib import Path

    from codeengine_ui.demo.stack import DemoStack

    var = Path(__file__).resolve().parent.parent / "var"
    stack = DemoStack(var / "test-shared.sqlite3", var / "test-shared-stack.log", history=False)
    # Every module's keys are the demo admin's: room for all of them, and their requests.
    stack.environment.update(
        API_KEYS_PER_USER="500",
        API_USER_REQUESTS_PER_MINUTE="6000",
        API_WAITS_PER_USER="64",
        MCP_WAIT_SECONDS="2",  # a call to a slow function answers with its run's id soon
    )
    with stack:
        yield stack


@pytest.fixture(scope="session")
def strict_emulator():
    """The variant where a wrong input type answers HTTP 400."""
    running = CodeEngineEmulator(EMULATOR_USERS, input_errors="http400").start(
        port=settings.TEST_STRICT_EMULATOR_PORT
    )
    yield running
    running.stop()


# --- Catalog data --------------------------------------------------------------------------


def demo_function_definition(name: str, version: str = LATEST_DEMO_VERSION) -> dict:
    package = next(p for p in demo_packages() if p["id"] == DEMO_PACKAGE_ID)
    return next(
        f["definition"]
        for f in package["versions"][version]["functions"]
        if f["definition"]["name"] == name
    )


@pytest.fixture
def instance(db, emulator):
    return Instance.objects.create(
        name="emulator", display_name="Emulator", custom_base_url=emulator.url
    )


def make_token(instance, label: str, value: str, user=None, *, shared=True) -> AccessToken:
    token = AccessToken(instance=instance, label=label, created_by=user, shared_with_members=shared)
    token.set_token(value)
    token.save()
    return token


@pytest.fixture
def developer_token(instance, admin_user):
    return make_token(instance, "Developer", DEVELOPER_TOKEN, admin_user)


@pytest.fixture
def analyst_token(instance, admin_user):
    return make_token(instance, "Analyst", ANALYST_TOKEN, admin_user)


def save_demo_function(
    instance,
    token,
    name: str,
    *,
    version: str = LATEST_DEMO_VERSION,
    package_id: str = DEMO_PACKAGE_ID,
) -> Function:
    definition_version = version if package_id == DEMO_PACKAGE_ID else "1.0.0"
    function, _ = save_function(
        instance=instance,
        token=token,
        package_id=package_id,
        version=version,
        function_name=name,
        definition=demo_function_definition(name, definition_version),
    )
    return function


def stored_run(function, token, user, inputs=None, **fields) -> Execution:
    """A run of `function` saved as it would be queued, with `fields` set (status, result,
    queued_at...)."""
    execution = Execution.for_run(
        function=function,
        token=token,
        user=user,
        input_variables={} if inputs is None else inputs,
        get_logs=fields.pop("get_logs", True),
    )
    for name, value in fields.items():
        setattr(execution, name, value)
    execution.save()
    return execution


def user_with_role(django_user_model, username: str, role: str):
    user = django_user_model.objects.create_user(username, password=f"{username}-password")
    if role:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@pytest.fixture
def member(django_user_model):
    return user_with_role(django_user_model, "member", "member")


@pytest.fixture
def viewer(django_user_model):
    return user_with_role(django_user_model, "viewer", "viewer")


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def greet(instance, developer_token):
    return save_demo_function(instance, developer_token, "greet")


# --- Hostile upstreams: a raw loopback server ------------------------------------------
class RawServer:
    """A loopback TCP server whose every connection is handled by `behaviour(connection)`."""

    def __init__(self, behaviour: Callable[[socket.socket], None]):
        self.behaviour = behaviour
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.stopped = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        try:
            connection.recv(65536)
            self.behaviour(connection)
        except OSError:
            pass
        finally:
            connection.close()

    def close(self) -> None:
        self.stopped.set()
        self.listener.close()


@pytest.fixture
def raw_server():
    servers = []

    def start(behaviour):
        server = RawServer(behaviour)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def reply(status: str, body: bytes, headers: str = "Content-Type: application/json\r\n"):
    def behaviour(connection: socket.socket) -> None:
        connection.sendall(
            f"HTTP/1.1 {status}\r\n{headers}Content-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n".encode()
            + body
        )

    return behaviour
