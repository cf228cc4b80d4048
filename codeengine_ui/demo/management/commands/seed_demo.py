import os
import secrets
from datetime import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from codeengine_ui.access.audit import acting_as
from codeengine_ui.access.roles import Role
from codeengine_ui.catalog.importing import save_function
from codeengine_ui.catalog.models import AccessToken, Function, InputPreset, Instance
from codeengine_ui.demo.history import add_demo_history
from codeengine_ui.demo.package import (
    DEMO_PACKAGE_ID,
    LATEST_DEMO_VERSION,
    PRIVATE_PACKAGE_ID,
    demo_packages,
)
from codeengine_ui.runs.models import Execution
from codeengine_ui.suites.models import Case, Schedule, Suite
from codeengine_ui.suites.monitors import schedule

DEMO_INSTANCE_NAME = "emulator"
STARRED_FOR_ADMIN = {"greet", "summariseOrder", "failWithError"}
DEMO_TEAMMATES = ("dana.analyst", "sam.developer")
DEMO_KEY_INPUTS = {"greet": ["name"], "failWithError": ["reason"], "addNumbers": ["a", "b"]}
DEMO_SUITE = "Release checklist"
DEMO_SUITE_ABOUT = "What must still hold before a new version of the demo package ships."
DEMO_CASES = [
    ("greet", "Greets Ada, excited", {"name": "Ada", "excited": True},
     [{"kind": "outcome", "status": "SUCCESS"},
      {"kind": "path", "path": "$", "equals": "Hello, Ada!"},
      {"kind": "stdout", "contains": "Greeting Ada"}]),
    ("averageOf", "Averages two decimals", {"values": [1.5, 2.5], "roundTo": 2},
     [{"kind": "outcome", "status": "SUCCESS"},
      {"kind": "path", "path": "$", "between": [1.99, 2.01]},
      {"kind": "fits_output"},
      {"kind": "duration", "under_ms": 5000}]),
    ("failWithError", "Fails as it should", {"reason": "checked"},
     [{"kind": "outcome", "status": "FAILED"},
      {"kind": "stderr", "contains": "Something went wrong"}]),
]  # fmt: skip
DEMO_PRESETS = [
    ("greet", "Ada, excited", {"name": "Ada", "excited": True}),
    (
        "summariseOrder",
        "Rush order, two lines",
        {
            "order": {
                "orderId": "SO-2041",
                "customer": "481303514",
                "lines": [
                    {"sku": "WIDGET-S", "quantity": 3, "unitPrice": 19.5},
                    {"sku": "GADGET-XL", "quantity": 1, "unitPrice": 249.0},
                ],
            },
            "notes": "Deliver before Friday",
            "tags": ["rush"],
        },
    ),
    (
        "summariseOrder",
        "Empty order",
        {
            "order": {"orderId": "SO-0", "customer": "481303514", "lines": []},
            "notes": None,
            "tags": None,
        },
    ),
]


class Command(BaseCommand):
    help = (
        "Load the demo: an admin user, the local emulator as an instance, two access tokens, "
        "the demo package's functions and, while the history is empty, a month of past runs. "
        "Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default=os.environ.get("DEMO_ADMIN_USERNAME", "admin"))
        parser.add_argument(
            "--no-history",
            action="store_true",
            help="Do not add the month of past runs (added only while the history is empty).",
        )
        parser.add_argument(
            "--url",
            default="",
            help="The console's address, shown with the admin's login (make run passes it).",
        )

    def handle(self, *, username, no_history, url, verbosity, **options):
        if not settings.CODEENGINE_EMULATOR_TOKEN:
            raise CommandError("CODEENGINE_EMULATOR_TOKEN is empty: set it (or DEBUG=1).")
        with transaction.atomic():
            admin, password = self._admin(username)
            instance = self._instance()
            developer_token = self._token(
                instance, "Demo developer", settings.CODEENGINE_EMULATOR_TOKEN, admin
            )
            if settings.CODEENGINE_EMULATOR_LIMITED_TOKEN:
                self._token(
                    instance,
                    "Demo analyst (demo package only)",
                    settings.CODEENGINE_EMULATOR_LIMITED_TOKEN,
                    admin,
                )
            with acting_as(admin):  # what the demo sets up is the admin's doing
                count = self._functions(instance, developer_token, admin)
                self._presets_and_labels(instance, admin)
                self._suite(instance, admin)
                past_runs = 0
                if not no_history and not Execution.objects.exists():
                    past_runs = self._history(instance, developer_token, admin)
        if verbosity >= 1:
            self.stdout.write(
                f"Demo data ready: instance {instance.base_url}, {count} functions"
                + (f", {past_runs} past runs." if past_runs else ".")
            )
        # Always shown, last: a generated password is never shown again.
        self.stdout.write(self.style.WARNING(framed(self._login(url, username, password))))

    def _login(self, url: str, username: str, password: str | None) -> list[str]:
        reset = f".venv/bin/python manage.py changepassword {username}"
        lines = [f"Open      {url}"] if url else []
        lines.append(f"User      {username}")
        if password:
            lines += [f"Password  {password}   (shown only this once)", f"Change it {reset}"]
        elif password is None:
            lines += ["Password  the one shown when the user was created; to reset it:",
                      f"          {reset}"]  # fmt: skip
        else:
            lines.append("Password  the one in DEMO_ADMIN_PASSWORD")
        return lines

    def _admin(self, username: str):
        """The admin user, and its new password: "" when DEMO_ADMIN_PASSWORD chose it,
        None when the user already existed."""
        user_model = get_user_model()
        user = user_model.objects.filter(username=username).first()
        if user:
            return user, None
        chosen = os.environ.get("DEMO_ADMIN_PASSWORD", "")
        password = chosen or secrets.token_urlsafe(12)
        user = user_model.objects.create_superuser(username=username, password=password, email="")
        return user, ("" if chosen else password)

    def _instance(self) -> Instance:
        instance = Instance.objects.filter(name=DEMO_INSTANCE_NAME).first() or Instance(
            name=DEMO_INSTANCE_NAME
        )
        stored = (instance.display_name, instance.custom_base_url)
        instance.display_name = "Local emulator"
        instance.custom_base_url = settings.CODEENGINE_EMULATOR_URL
        try:
            instance.full_clean()
        except ValidationError as error:
            raise CommandError(
                f"The emulator address is not allowed: {error.messages[0]} "
                "Add its host:port to CODEENGINE_ALLOWED_HOSTS."
            ) from None
        if instance.pk is None or stored != (instance.display_name, instance.custom_base_url):
            instance.save()
        return instance

    def _token(self, instance: Instance, label: str, value: str, admin) -> AccessToken:
        """The demo token `label`, holding `value` and shared with members; one that already
        does is left as it is (a secret stored again is a rotation in the audit log)."""
        token = AccessToken.objects.filter(instance=instance, label=label).first() or AccessToken(
            instance=instance, label=label, created_by=admin
        )
        new_secret = token.pk is None or not token.holds(value)
        if new_secret:
            token.set_token(value)
        if new_secret or not token.shared_with_members:
            token.shared_with_members = True
            token.save()
        return token

    def _history(self, instance: Instance, token: AccessToken, admin) -> int:
        """A month of runs by the admin and two teammates (who cannot log in)."""
        teammates = []
        for username in DEMO_TEAMMATES:
            user, created = get_user_model().objects.get_or_create(username=username)
            if created:
                user.set_unusable_password()
                user.save()
                user.groups.add(Group.objects.get_or_create(name=Role.MEMBER.group_name)[0])
            teammates.append(user)
        return add_demo_history(self._latest(instance), token, [admin, admin, *teammates])

    def _presets_and_labels(self, instance: Instance, admin) -> None:
        """Presets a team would have saved, and the inputs that label the history's rows."""
        functions = self._latest(instance)
        for name, inputs in DEMO_KEY_INPUTS.items():
            if not functions[name].key_inputs:
                functions[name].key_inputs = inputs
                functions[name].save(update_fields=["key_inputs"])
        for function_name, preset_name, values in DEMO_PRESETS:
            InputPreset.objects.get_or_create(
                function=functions[function_name],
                name=preset_name,
                defaults={"input_variables": values, "created_by": admin},
            )

    def _suite(self, instance: Instance, admin) -> None:
        """A suite of tests of the demo functions, so a new install shows them at work."""
        latest = self._latest(instance)
        cases = []
        for function_name, name, inputs, expectations in DEMO_CASES:
            case, _ = Case.objects.get_or_create(
                function=latest[function_name],
                name=name,
                defaults={"input_variables": inputs, "expectations": expectations,
                          "created_by": admin},
            )  # fmt: skip
            cases.append(case)
        suite, created = Suite.objects.get_or_create(
            name=DEMO_SUITE,
            defaults={"description": DEMO_SUITE_ABOUT, "created_by": admin,
                      "schedule": Schedule.HOURLY, "at_time": time(0, 0),
                      "run_on_new_version": True},
        )  # fmt: skip
        suite.cases.add(*cases)
        if created:  # a monitor every hour, on the hour, and on each new release
            schedule(suite)
            suite.save(update_fields=["next_run_at"])

    @staticmethod
    def _latest(instance: Instance) -> dict[str, Function]:
        latest = Function.objects.filter(
            instance=instance, package_id=DEMO_PACKAGE_ID, version=LATEST_DEMO_VERSION
        )
        return {function.function_name: function for function in latest}

    def _functions(self, instance: Instance, token: AccessToken, admin) -> int:
        wanted = []
        for package in demo_packages():
            for version, details in package["versions"].items():
                if not details["released"]:
                    continue
                if package["id"] == DEMO_PACKAGE_ID and version != LATEST_DEMO_VERSION:
                    wanted += [
                        (package, version, f)
                        for f in details["functions"]
                        if f["definition"]["name"] == "greet"
                    ]
                elif package["id"] in (DEMO_PACKAGE_ID, PRIVATE_PACKAGE_ID):
                    wanted += [(package, version, f) for f in details["functions"]]
        for package, version, function in wanted:
            definition = function["definition"]
            if version != LATEST_DEMO_VERSION or package["id"] != DEMO_PACKAGE_ID:
                definition = {
                    **definition,
                    "displayName": f"{definition['displayName']} ({package['name']} {version})",
                }
            saved, _ = save_function(
                instance=instance,
                token=token,
                package_id=package["id"],
                version=version,
                function_name=definition["name"],
                definition=definition,
                user=admin,
            )
            if definition["name"] in STARRED_FOR_ADMIN and version == LATEST_DEMO_VERSION:
                saved.starred_by.add(admin)
        return len(wanted)


def framed(lines: list[str]) -> str:
    """Lines in a box that stands out of a scrolling log."""
    width = max(len(line) for line in lines) + 4
    rule = "+" + "-" * width + "+"
    blank = "|" + " " * width + "|"
    body = [f"|  {line.ljust(width - 4)}  |" for line in lines]
    return "\n".join(["", rule, blank, *body, blank, rule, ""])
