"""The console's own code, run in a process of its own against a database that is not the
test session's (a PostgreSQL server a test starts, stops and restarts): set up a member,
an instance and the demo's functions, queue runs, and read them back, as JSON on stdout.

    python -m tests.cluster_console setup BASE_URL
    python -m tests.cluster_console queue FUNCTION COUNT SECONDS [SOURCE [USER]]

The database is DATABASE_URL's; the process uses the test settings.
"""

import json
import os
import sys


def setup(base_url: str) -> dict:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from codeengine_ui.catalog.models import Instance
    from tests.conftest import DEVELOPER_TOKEN, make_token, save_demo_function, user_with_role

    call_command("migrate", verbosity=0)
    users = get_user_model()
    for name in ("member", "other"):
        user_with_role(users, name, "member")
    instance = Instance.objects.create(name="cluster", custom_base_url=base_url)
    token = make_token(instance, "Developer", DEVELOPER_TOKEN)
    functions = {name: save_demo_function(instance, token, name).pk for name in ("sleepFor",)}
    return {"instance": instance.pk, "token": token.pk, "functions": functions}


def queue(function_id: str, count: str, seconds: str, source="batch", user="member") -> list:
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from codeengine_ui.catalog.models import AccessToken, Function
    from codeengine_ui.runs.models import RunSource
    from codeengine_ui.runs.services import start_run

    function = Function.objects.get(pk=function_id)
    token = AccessToken.objects.get(instance=function.instance_id)
    requester = get_user_model().objects.get(username=user)
    with transaction.atomic():  # queued together, so the workers compete for them
        return [
            start_run(
                function,
                # A distinct body for each run: the emulator counts a body seen before.
                {"seconds": round(float(seconds) + n / 1e6, 6)},
                token,
                requester,
                RunSource(source),
            ).pk
            for n in range(int(count))
        ]


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    os.environ["TASKS_BACKEND"] = "django_tasks_db.DatabaseBackend"
    import django

    django.setup()
    command, *arguments = sys.argv[1:]
    answer = {"setup": setup, "queue": queue}[command](*arguments)
    print(json.dumps(answer))


if __name__ == "__main__":
    main()
