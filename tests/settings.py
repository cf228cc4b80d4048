"""Test settings: the project's settings with test-only values.

Values that child processes (a real worker or web server in a test) must share are put in the
environment once, so every process of a test session agrees on them.
"""

import os
import socket
from pathlib import Path

from cryptography.fernet import Fernet


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("TOKEN_ENCRYPTION_KEYS", Fernet.generate_key().decode())
# The ports and addresses below are set once per test process and inherited by the processes
# it starts; a parallel test process (pytest-xdist) chooses its own instead of its parent's.
_PROCESS = os.environ.get("PYTEST_XDIST_WORKER", "")
if os.environ.get("TEST_SETTINGS_PROCESS", "") != _PROCESS:
    for _name in ("TEST_EMULATOR_PORT", "TEST_STRICT_EMULATOR_PORT", "CODEENGINE_ALLOWED_HOSTS"):
        os.environ.pop(_name, None)
os.environ["TEST_SETTINGS_PROCESS"] = _PROCESS
os.environ.setdefault("TEST_EMULATOR_PORT", str(_free_port()))
os.environ.setdefault("TEST_STRICT_EMULATOR_PORT", str(_free_port()))
os.environ.setdefault(
    "CODEENGINE_ALLOWED_HOSTS",
    f"127.0.0.1:{os.environ['TEST_EMULATOR_PORT']},"
    f"127.0.0.1:{os.environ['TEST_STRICT_EMULATOR_PORT']}",
)
_VAR = Path(__file__).resolve().parent.parent / "var"
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_VAR / 'test-main.sqlite3'}")
os.environ.setdefault("TASKS_BACKEND", "django.tasks.backends.immediate.ImmediateBackend")
# One connection per thread in the test process (its tests share one transaction); a test
# of pooled connections starts processes of its own with a pool.
os.environ.setdefault("DATABASE_POOL_SIZE", "0")
os.environ["DEBUG"] = "0"
os.environ["DEMO"] = "1"  # the emulator and demo data are part of the tests

from codeengine_ui.settings import *  # noqa: E402, F403
from codeengine_ui.settings import BASE_DIR, DATABASES, STORAGES, VAR_DIR  # noqa: E402

TEST_EMULATOR_PORT = int(os.environ["TEST_EMULATOR_PORT"])
TEST_STRICT_EMULATOR_PORT = int(os.environ["TEST_STRICT_EMULATOR_PORT"])

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory: worker threads and child processes open the same test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
SECURE_SSL_REDIRECT = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
RUN_WORKER_POLL_SECONDS = 0.05
STATIC_ROOT = BASE_DIR / "var" / "static"

# A live part of a page that sees nothing new answers sooner than in production.
LIVE_WAIT_SECONDS = 5

# Email stays in memory (django.core.mail.outbox).
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
