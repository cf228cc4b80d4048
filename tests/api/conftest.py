import pytest

from codeengine_ui.access.models import ApiKey
from tests.runs.conftest import running_worker


@pytest.fixture
def member_key(member):
    _key, text = ApiKey.issue(member, "ci", "run")
    return text


@pytest.fixture
def api(client, member_key):
    """A client that sends the member's key."""

    class Api:
        def __init__(self, key):
            self.key = key

        def _headers(self, headers):
            return {"HTTP_AUTHORIZATION": f"Bearer {self.key}", **(headers or {})}

        def get(self, path, data=None, headers=None):
            return client.get(f"/api/v1{path}", data, **self._headers(headers))

        def post(self, path, body=None, headers=None):
            return client.post(
                f"/api/v1{path}", body or {}, content_type="application/json",
                **self._headers(headers),
            )  # fmt: skip

    return Api(member_key)


@pytest.fixture
def worker_thread(settings):
    yield from running_worker(settings)
