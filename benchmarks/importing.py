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


def exported_version(package_id: str, version: str) -> dict:
    """A package version as Domo exports it: 42 functions of two to five inputs each
    (upper-case types, defaults, an object with children), the demo's own among them, one
    private helper and the package's entitySubType."""
    topics = ["invoice", "customer", "dataset", "forecast", "prompt", "ticket", "order"]
    verbs = ["get", "list", "create", "update", "delete", "sync"]
    functions = []
    for index in range(EXPORTED - len(SHAPES)):
        topic, verb = topics[index % len(topics)], verbs[index // len(topics) % len(verbs)]
        inputs = [
            {"name": f"{topic}Id", "displayName": f"{topic.capitalize()} id", "type": "STRING",
             "value": None, "nullable": False, "isList": False, "children": None,
             "entitySubType": None},
            {"name": "limit", "displayName": None, "type": "NUMBER", "value": 50,
             "nullable": True, "isList": False, "children": [], "entitySubType": None},
            {"name": "fields", "displayName": None, "type": "STRING", "value": [],
             "nullable": True, "isList": True, "children": None, "entitySubType": None},
            {"name": "filter", "displayName": "Filter", "type": "OBJECT", "nullable": True,
             "isList": False, "value": {"field": None, "values": [], "operator": "EQ"},
             "children": [{"name": "field", "type": "STRING", "value": None},
                          {"name": "values", "type": "STRING", "isList": True, "value": []},
                          {"name": "operator", "type": "STRING", "value": "EQ"}]},
            {"name": "owner", "displayName": "Owner", "type": "PERSON", "value": None,
             "nullable": True, "isList": False, "children": None, "entitySubType": None},
        ][: 2 + index % 4]  # fmt: skip
        functions.append(
            {
                "name": f"{verb}{topic.capitalize()}{index}",
                "displayName": f"{verb.capitalize()} {topic} {index}",
                "description": f"{verb.capitalize()}s {topic} records through Domo's APIs.",
                "isPrivate": False,
                "hasReturn": True,
                "inputs": inputs,
                "output": {"name": "result", "displayName": None, "type": "OBJECT",
                           "value": None, "nullable": False, "isList": False, "children": []},
            }
        )  # fmt: skip
    for name, _parameters in SHAPES:
        functions.append(
            {"name": name, "displayName": name, "isPrivate": False,
             "inputs": [{"name": "value", "type": "STRING", "value": None}],
             "output": {"name": "out", "type": "STRING"}}
        )  # fmt: skip
    functions.append({"name": "helper", "isPrivate": True, "inputs": [], "output": None})
    return {
        "packageId": package_id,
        "version": version,
        "entitySubType": "amazon-bedrock",
        "code": "const codeengine = require('codeengine');\n" * 200,
        "functions": functions,
        "configuration": {"accountsMapping": [], "mlModel": [], "externalPackageMapping": {}},
        "createdOn": "2026-04-29T16:00:10.043Z",
        "createdBy": "1813188617",
    }


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

    export = {"text": json.dumps(exported_version(DEMO_PACKAGE_ID, LATEST_DEMO_VERSION))}

    def table(page: str) -> None:
        assert page.count('<tr data-search="') == EXPORTED, page[-2000:]
        assert page.count('<span class="badge state-found">') == len(SHAPES) + 1

    table_ms = median_ms(client, export, table)
    emulator.stop()
    print(f"import_manifest_50_functions_ms {manifest_ms:.1f} ms", flush=True)
    print(f"import_page_42_functions_ms {table_ms:.1f} ms", flush=True)


if __name__ == "__main__":
    main()
