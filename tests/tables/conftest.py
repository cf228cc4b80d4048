import pytest

from tests.runs.conftest import running_worker


@pytest.fixture
def worker_thread(settings):
    yield from running_worker(settings)
