"""The package's layers, lowest first: a module imports only from its own layer or below.

The project package's own modules wire everything together (settings, urls, wsgi, asgi,
gunicorn_logging) and sit outside the layers.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "codeengine_ui"

LAYERS = [
    # foundations: plain helpers every app may use
    {
        "json_text",
        "request_values",
        "keyset",
        "timezones",
        "uploads",
        "error_pages",
        "middleware",
        "page_parts",
        "htmx_requests",
        "notifications",
        "outbound",
        "text_lines",
    },
    {"domo"},  # the Code Engine client: knows nothing of Django or the apps
    {"error_codes"},  # why runs fail and what to do next, for the apps and the client's codes
    {"parameters"},  # parameter definitions, type rules and the inputs editor
    {"access"},  # users, roles, the audit log
    {"catalog"},  # instances, tokens, saved functions, presets
    {"runs"},  # running functions and the history of runs
    {"suites"},  # test cases, their expectations, suites and suite runs
    {"tables", "load_runs"},  # a function run over a table of inputs; under many virtual users
    {"dashboard", "operations"},  # overviews: the team's runs; the workers and the queue
    {"api"},  # the JSON API: the same runs and history, for scripts and the command line
    {"agents"},  # the MCP gateway: saved functions as tools for AI agents, OAuth for them
    {"demo"},  # emulator and demo data: the product never imports it
]
WIRING = {"settings", "urls", "wsgi", "asgi", "gunicorn_logging", "__init__"}
LAYER_OF = {room: index for index, rooms in enumerate(LAYERS) for room in rooms}


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if "migrations" in relative.parts:
            continue
        yield relative, ast.parse(path.read_text(), str(path))


def _room(relative: Path) -> str:
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def _imported_modules(relative: Path, tree: ast.Module):
    """Every module an import statement names, anywhere in the file, made absolute."""
    package = ["codeengine_ui", *relative.parts[:-1]]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                yield node.lineno, ".".join([*base, *([node.module] if node.module else [])])
            else:
                yield node.lineno, node.module


def _imports_within_package():
    for relative, tree in _modules():
        for line, module in _imported_modules(relative, tree):
            parts = module.split(".")
            if parts[0] == "codeengine_ui" and len(parts) > 1:
                yield relative, line, parts[1]


def test_every_room_of_the_package_has_a_layer():
    rooms = {_room(relative) for relative, _ in _modules()}
    assert rooms - WIRING - set(LAYER_OF) == set()


def test_imports_point_down_the_layers_only():
    upward = [
        f"{relative}:{line} imports {target}"
        for relative, line, target in _imports_within_package()
        if (room := _room(relative)) not in WIRING
        and target in LAYER_OF
        and LAYER_OF[target] > LAYER_OF[room]
    ]
    assert upward == []


def test_product_wiring_does_not_import_the_demo():
    """Settings and urls name the demo app as text, to install it only when asked."""
    demo = [
        f"{relative}:{line}"
        for relative, line, target in _imports_within_package()
        if target == "demo" and _room(relative) != "demo"
    ]
    assert demo == []


def test_the_client_imports_nothing_of_django():
    """So it can be used, and tested, on its own."""
    django = [
        f"{relative}:{line} imports {module}"
        for relative, tree in _modules()
        if _room(relative) == "domo"
        for line, module in _imported_modules(relative, tree)
        if module.split(".")[0] == "django"
    ]
    assert django == []


def test_the_scan_sees_relative_and_absolute_imports():
    """A scan that found nothing would pass everything above."""
    edges = {(_room(relative), target) for relative, _, target in _imports_within_package()}
    assert {("runs", "catalog"), ("catalog", "access"), ("dashboard", "runs")} <= edges
    relative_edges = {
        (str(relative), target)
        for relative, _, target in _imports_within_package()
        if str(relative) == "runs/views.py"
    }
    assert ("runs/views.py", "runs") in relative_edges  # "from .models import ..."
