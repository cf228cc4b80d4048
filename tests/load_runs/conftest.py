from decimal import Decimal

import pytest

from codeengine_ui.access.roles import allow_load_runs
from codeengine_ui.load_runs.services import LoadSettings
from tests.conftest import save_demo_function, user_with_role


@pytest.fixture
def load_member(django_user_model):
    person = user_with_role(django_user_model, "loader", "member")
    allow_load_runs(person, True)
    return person


@pytest.fixture
def busy(instance, developer_token):
    return save_demo_function(instance, developer_token, "busyService")


def plan(function, token, **changes) -> LoadSettings:
    """A small load run's settings: 5 users for 20 calls, unless changed."""
    values = {
        "function": function,
        "token": token,
        "inputs": {"name": "Ada"} if function.function_name == "greet" else {"seconds": 0.05},
        "users": 5,
        "total_calls": 20,
        "p95_below_ms": 2000,
        "errors_below_percent": Decimal("1"),
        **changes,
    }
    return LoadSettings(**values)


from tests.api.conftest import api, member_key  # noqa: E402, F401  (fixtures)


def sample_load_run(function, token, user):
    """A stored load run (queued, never driven), for URLs that name one."""
    from codeengine_ui.load_runs.models import LoadRun

    return LoadRun.objects.create(
        function=function,
        function_name=function.function_name,
        instance=function.instance,
        instance_name=str(function.instance),
        token=token,
        version=function.version,
        users_requested=1,
        users=1,
        total_calls=1,
        started_by=user,
    )
