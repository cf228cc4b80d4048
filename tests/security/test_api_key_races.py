"""Keys created from the profile page at the same moment: each request gets its key or a
clear refusal at the field, never a server error, on SQLite and on PostgreSQL alike."""

import pytest
from django.test import Client

from codeengine_ui.access.models import ApiKey
from tests.parallel import in_parallel

pytestmark = pytest.mark.django_db(transaction=True)

PARALLEL = 8


def _logged_in(user, count: int) -> list[Client]:
    clients = [Client(raise_request_exception=False) for _ in range(count)]
    for client in clients:
        client.force_login(user)
    return clients


def _created(page: str) -> bool:
    return 'id="new-key"' in page


def test_parallel_keys_of_one_name_make_one_key_and_clear_refusals(member):
    clients = _logged_in(member, PARALLEL)
    form = {"name": "ci", "scope": "run", "expires_on": ""}

    answers = in_parallel(PARALLEL, lambda index: clients[index].post("/profile/", form))

    assert [answer.status_code for answer in answers] == [200] * PARALLEL
    pages = [answer.content.decode() for answer in answers]
    assert sum(_created(page) for page in pages) == 1
    refusals = [page for page in pages if not _created(page)]
    assert all("You already have a key named “ci”." in page for page in refusals)
    assert ApiKey.objects.filter(user=member).count() == 1


def test_parallel_keys_stop_at_the_limit_of_keys_per_person(settings, member):
    settings.API_KEYS_PER_USER = 3
    clients = _logged_in(member, PARALLEL)

    answers = in_parallel(
        PARALLEL,
        lambda index: clients[index].post(
            "/profile/", {"name": f"key {index}", "scope": "read", "expires_on": ""}
        ),
    )

    assert [answer.status_code for answer in answers] == [200] * PARALLEL
    pages = [answer.content.decode() for answer in answers]
    assert sum(_created(page) for page in pages) == 3
    refusals = [page for page in pages if not _created(page)]
    assert all("the most one person may have (API_KEYS_PER_USER)" in page for page in refusals)
    assert ApiKey.objects.filter(user=member).count() == 3
