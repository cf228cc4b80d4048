"""Import benchmarks: a 50-entry app manifest and a 42-function package export through
the real import view.

  import_manifest_50_functions_ms  POST the wired manifest: read its 50 entries, fetch
                                   the functions' definitions from the emulator (over
                                   HTTP), match every alias to an input and render the
                                   page where they are checked (p50, ms)
  import_page_42_functions_ms      POST a Domo export of 42 functions: read it, ask the
                                   emulator (over HTTP) which of them it has, and render
                                   the table where they are chosen (p50, ms; target
                                   under 300 ms)

Runs with production settings (DEBUG off, cached templates) on an in-memory SQLite
database, against the local emulator; no server is started for the console itself.
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 20
ENTRIES = 50
EXPORTED = 42
TOKEN = "bench-import-token-0123456789"
# App entries as real manifests write them, each aliasing a demo function's inputs.
SHAPES = [
    ("greet", [("who", "string", False), ("loud", "bool", False)]),
    ("addNumbers", [("first", "integer", False), ("second", "int", False)]),
    ("averageOf", [("amounts", "double", True), ("places", "integer", False)]),
    ("describeTypes", [("words", "string", False), ("count", "integer", False)]),
]


def manifest() -> dict:
    entries = []
    for index in range(ENTRIES):
        _function, parameters = SHAPES[index % len(SHAPES)]
        entries.append(
            {
                "alias": f"call{index}",
                "parameters": [
                    {
                        "alias": alias,
                        "type": type_name,
                        "nullable": False,
                        "isList": is_list,
                        "children": None,
                    }
                    for alias, type_name, is_list in parameters
                ],
                "output": {"alias": "out", "type": "string", "children": None},
            }
        )
    return {"name": "Bench app", "version": "1.0.0", "packageMapping": entries}


def median_ms(client, data: dict, check) -> float:
    """The median time of POSTing `data` to the import page, whose answer `check` asserts."""
    timings = []
    for attempt in range(ROUNDS + 2):
        started = time.perf_counter()
        response = client.post("/functions/import/", data, secure=True)
        elapsed = (time.perf_counter() - started) * 1000
        page = response.content.decode()
        assert response.status_code == 200, page[-2000:]
        check(page)
        if attempt >= 2:  # the first requests warm caches
            timings.append(elapsed)
    return statistics.median(timings)


def main() -> None:
    from cryptography.fernet import Fernet

    sys.path.insert(0, str(ROOT))
    from codeengine_ui.demo.emulator import CodeEngineEmulator, demo_users

    emulator = CodeEngineEmulator(demo_users(TOKEN)).start()
    address = emulator.url.removeprefix("http://")
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "codeengine_ui.settings",
            "DEBUG": "0",
            "SECRET_KEY": "benchmark-only-secret",
            "ALLOWED_HOSTS": "testserver",
            "DATABASE_URL": "sqlite://:memory:",
            "LOG_LEVEL": "WARNING",
            "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "CODEENGINE_ALLOWED_HOSTS": address,
            "STATIC_ROOT": str(ROOT / "var" / "bench-static"),
        }
    )
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.test import Client

    from codeengine_ui.catalog.models import AccessToken, Instance
    from codeengine_ui.demo.exports import DEMO_FUNCTIONS, exported_version
    from codeengine_ui.demo.package import DEMO_PACKAGE_ID, LATEST_DEMO_VERSION

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    member = get_user_model().objects.create_user("bench-member")
    member.groups.add(Group.objects.get_or_create(name="member")[0])
    instance = Instance.objects.create(
        name="emulator", display_name="Emulator", custom_base_url=emulator.url
    )
    token = AccessToken(instance=instance, label="Bench", shared_with_members=True)
    token.set_token(TOKEN)
    token.save()
    client = Client()
    client.force_login(member)

    data = {
        "text": json.dumps(manifest()),
        "step": "map",
        "all-instance": str(instance.pk),
        "all-token": str(token.pk),
    }
    for index in range(ENTRIES):
        function_name = SHAPES[index % len(SHAPES)][0]
        data.update(
            {
                f"fn{index}-include": "on",
                f"fn{index}-instance": str(instance.pk),
                f"fn{index}-token": str(token.pk),
                f"fn{index}-package_id": DEMO_PACKAGE_ID,
                f"fn{index}-version": LATEST_DEMO_VERSION,
                f"fn{index}-function_name": function_name,
            }
        )

    def mapped(page: str) -> None:
        assert f"map{ENTRIES - 1}-alias0" in page, page[-2000:]
        assert "The function's own definition was fetched" in page

    manifest_ms = median_ms(client, data, mapped)

    export = {"text": json.dumps(exported_version(EXPORTED))}

    def table(page: str) -> None:
        assert page.count('<tr data-search="') == EXPORTED, page[-2000:]
        assert page.count('<span class="badge state-found">') == len(DEMO_FUNCTIONS) + 1

    table_ms = median_ms(client, export, table)
    emulator.stop()
    print(f"import_manifest_50_functions_ms {manifest_ms:.1f} ms", flush=True)
    print(f"import_page_42_functions_ms {table_ms:.1f} ms", flush=True)


if __name__ == "__main__":
    main()
