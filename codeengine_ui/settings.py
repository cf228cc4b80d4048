"""Settings for Code Engine Console; every knob comes from the environment (see README)."""

import ipaddress
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from codeengine_ui.domo import client as codeengine_client
from codeengine_ui.domo.redaction import register_secret

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)


def _development_value(filename: str, generate) -> str:
    """A value generated once and kept under var/, so dev restarts keep sessions and tokens."""
    path = VAR_DIR / filename
    VAR_DIR.mkdir(exist_ok=True)
    try:
        with path.open("x") as new_file:
            new_file.write(generate())
    except FileExistsError:
        pass
    return path.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = _development_value("dev-secret-key", lambda: secrets.token_urlsafe(50))

# Newest key first; older keys still decrypt until `rotate_token_encryption` re-encrypts.
TOKEN_ENCRYPTION_KEYS = env.list("TOKEN_ENCRYPTION_KEYS", default=[])
if not TOKEN_ENCRYPTION_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "TOKEN_ENCRYPTION_KEYS must be set when DEBUG is off: access tokens are stored "
            "encrypted with it (see README, Deploying)."
        )
    TOKEN_ENCRYPTION_KEYS = [
        _development_value("dev-token-key", lambda: Fernet.generate_key().decode())
    ]

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "django_htmx",
    "django_tasks_db",
    "axes",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "codeengine_ui.catalog",
    "codeengine_ui.parameters",
    "codeengine_ui.runs",
    "codeengine_ui.suites",
    "codeengine_ui.tables",
    "codeengine_ui.load_runs",
    "codeengine_ui.access",
    "codeengine_ui.dashboard",
    "codeengine_ui.operations",
    "codeengine_ui.api",
    "codeengine_ui.agents",
    "oauth2_provider",
    "ninja",  # its Swagger UI is served from our static files, not a CDN
]
# The emulator and demo data: on with DEBUG (make run) and in the
# tests, off in a production .env.
DEMO = env.bool("DEMO", default=DEBUG)
if DEMO:
    INSTALLED_APPS.append("codeengine_ui.demo")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Outside CSRF and login checks, to turn their answers to htmx into a whole-page login.
    "codeengine_ui.middleware.HtmxSessionEndedMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "codeengine_ui.timezones.ViewerTimezoneMiddleware",
    "codeengine_ui.access.audit.AuditRequestMiddleware",
    "codeengine_ui.middleware.HtmxErrorMiddleware",
    "codeengine_ui.error_pages.DatabaseBusyMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # a username locked out from an address
    "codeengine_ui.access.throttling.AddressThrottleBackend",  # an address that failed often
    # Passwords; only superusers' when LOCAL_PASSWORDS is off. Also what sessions started by
    # an identity provider are read back with.
    "codeengine_ui.access.sign_in.PasswordBackend",
]
# Reverse proxies in front of the console (the client's address is then read from
# X-Forwarded-For, as the nearest of them wrote it); 0 ignores that header.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Login throttling: after this many failures for one username from one address, that
# pair is locked out for the cool-off time; an address with this many failures in a burst,
# whatever the usernames, is locked out altogether.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "codeengine_ui.access.addresses.client_address"
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=30)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# --- Sign-in with the company's identity providers (OpenID Connect) ------------------------
# OIDC_PROVIDERS names each provider; OIDC_<NAME>_SERVER_URL (the issuer, where
# .well-known/openid-configuration is read), _CLIENT_ID, _CLIENT_SECRET, and optionally
# _LABEL (the button) and _SCOPES describe it. _LINK_BY_EMAIL lets its sign-in with a
# verified email reach the account that already has that address (never a superuser's or a
# staff account's); off, such a sign-in is refused and the owner links it from their profile.
OIDC_PROVIDERS = [name.strip().lower() for name in env.list("OIDC_PROVIDERS", default=[])]
# Roles from the provider: the claim read at each login and what its values map to
# ("console-admins=admin,console-devs=member,everyone=viewer"); unset, admins give roles.
OIDC_ROLES_CLAIM = env.str("OIDC_ROLES_CLAIM", default="groups")
OIDC_ROLE_MAP = env.dict("OIDC_ROLE_MAP", default={})
# Off: only superusers may log in with a password (the break-glass login); everyone else
# signs in with an identity provider.
LOCAL_PASSWORDS = env.bool("LOCAL_PASSWORDS", default=True)


def _oidc_app(name: str) -> dict:
    prefix = f"OIDC_{name.upper().replace('-', '_')}_"
    server_url = env.str(prefix + "SERVER_URL", default="")
    client_id = env.str(prefix + "CLIENT_ID", default="")
    if not server_url or not client_id:
        raise ImproperlyConfigured(
            f"OIDC_PROVIDERS names {name!r}: set {prefix}SERVER_URL and {prefix}CLIENT_ID."
        )
    return {
        "provider_id": name,
        "name": env.str(prefix + "LABEL", default=name.title()),
        "client_id": client_id,
        "secret": env.str(prefix + "CLIENT_SECRET", default=""),
        "settings": {
            "server_url": server_url,
            "oauth_pkce_enabled": True,
            "scope": env.list(prefix + "SCOPES", default=["openid", "profile", "email"]),
            "email_authentication": env.bool(prefix + "LINK_BY_EMAIL", default=False),
        },
    }


_oidc_apps = [_oidc_app(name) for name in OIDC_PROVIDERS]
_oidc_origins = sorted(
    {
        "{0.scheme}://{0.netloc}".format(urlsplit(app["settings"]["server_url"]))
        for app in _oidc_apps
    }
)
SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": _oidc_apps}}
ACCOUNT_ADAPTER = "codeengine_ui.access.sign_in.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "codeengine_ui.access.sign_in.ProviderAccountAdapter"
SOCIALACCOUNT_LOGIN_ON_GET = False  # the login page posts to the provider's URL
SOCIALACCOUNT_AUTO_SIGNUP = True
# Linking by email is each provider's own choice (OIDC_<NAME>_LINK_BY_EMAIL); once linked,
# the identity finds the account by its subject, whatever its email becomes.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_STORE_TOKENS = False
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*"]

ROOT_URLCONF = "codeengine_ui.urls"
WSGI_APPLICATION = "codeengine_ui.wsgi.application"
ASGI_APPLICATION = "codeengine_ui.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "codeengine_ui.access.context_processors.role",
            ],
            "builtins": ["codeengine_ui.page_parts"],
        },
    },
]

FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'console.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(exist_ok=True)
    # The web process and every worker thread write at once: WAL lets readers proceed
    # during a write, IMMEDIATE takes the write lock up front (no upgrade deadlocks),
    # and the timeout makes a writer wait for the lock instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
else:
    # PostgreSQL: each process borrows connections from a pool of its own, at most
    # DATABASE_POOL_SIZE, for one request (or one query of the worker) at a time; a request
    # that finds none free within DATABASE_POOL_TIMEOUT seconds is answered 503 with
    # Retry-After. Workers size their pool to their own threads (run_worker). The README
    # gives the arithmetic against max_connections. 0 keeps a connection per thread.
    DATABASE_POOL_SIZE = env.int("DATABASE_POOL_SIZE", default=4)
    DATABASE_POOL_TIMEOUT = env.float("DATABASE_POOL_TIMEOUT", default=5.0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # pooled: checked when borrowed
    if DATABASE_POOL_SIZE:
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": DATABASE_POOL_SIZE,
            "timeout": DATABASE_POOL_TIMEOUT,
            "max_idle": 300,
            # The pool's reconnection backs off exponentially; cut short, the next request
            # starts it again from one second, so a database back from an outage is used
            # within seconds, not half a minute later.
            "reconnect_timeout": 5,
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {
    "default": {"BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend")}
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "static")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Request size -------------------------------------------------------------------------
# A form post (the inputs editor, the JSON tab, a pasted manifest) may carry this much;
# a larger one is refused with a 400 before it is parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("MAX_REQUEST_BYTES", default=2_621_440)  # 2.5 MB
# The inputs editor draws up to 1,000 fields, each posting at most two values.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2_500
# An uploaded file (an app manifest) stops being read past this size.
MAX_UPLOAD_BYTES = env.int("MAX_UPLOAD_BYTES", default=1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES
FILE_UPLOAD_HANDLERS = [
    "codeengine_ui.uploads.CappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
]

# No inline script or style anywhere: htmx is configured through a meta tag.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    # Sign-in and logout forms post here and are redirected on to the identity providers.
    "form-action": [CSP.SELF, *_oidc_origins],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Only allows submitting the domain to the browsers' preload list (a separate step).
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Code Engine ---------------------------------------------------------------------------
# Hosts (host or host:port) an instance may use instead of https://{name}.domo.com.
CODEENGINE_ALLOWED_HOSTS = env.list(
    "CODEENGINE_ALLOWED_HOSTS", default=["127.0.0.1:8765"] if DEBUG else []
)
# Code Engine functions run for up to 5 minutes; the whole call must end within this.
CODEENGINE_TIMEOUT_SECONDS = env.float(
    "CODEENGINE_TIMEOUT_SECONDS", default=codeengine_client.DEFAULT_TIMEOUT_SECONDS
)
CODEENGINE_CONNECT_TIMEOUT_SECONDS = env.float(
    "CODEENGINE_CONNECT_TIMEOUT_SECONDS", default=codeengine_client.DEFAULT_CONNECT_TIMEOUT_SECONDS
)
# A PEM file of extra certificate authorities to trust (a company proxy's, the emulator's
# local one); the system's authorities are always trusted, and verification is never off.
CODEENGINE_CA_BUNDLE = env.str("CODEENGINE_CA_BUNDLE", default="")
CODEENGINE_MAX_RESPONSE_BYTES = env.int(
    "CODEENGINE_MAX_RESPONSE_BYTES", default=codeengine_client.DEFAULT_MAX_RESPONSE_BYTES
)

# Local emulator used by the demo (`make run`), the tests and the benchmarks.
CODEENGINE_EMULATOR_URL = env.str("CODEENGINE_EMULATOR_URL", default="http://127.0.0.1:8765")
CODEENGINE_EMULATOR_TOKEN = env.str("CODEENGINE_EMULATOR_TOKEN", default="")
if not CODEENGINE_EMULATOR_TOKEN and DEBUG:
    CODEENGINE_EMULATOR_TOKEN = _development_value(
        "dev-emulator-token", lambda: "emu-" + secrets.token_hex(20)
    )
# A second demo token whose Domo user may execute the demo package only (shows a 403).
CODEENGINE_EMULATOR_LIMITED_TOKEN = env.str("CODEENGINE_EMULATOR_LIMITED_TOKEN", default="")
if not CODEENGINE_EMULATOR_LIMITED_TOKEN and DEBUG:
    CODEENGINE_EMULATOR_LIMITED_TOKEN = _development_value(
        "dev-emulator-limited-token", lambda: "emu-" + secrets.token_hex(20)
    )

# --- Runs ----------------------------------------------------------------------------------
# Runs each worker process keeps in flight at once (coroutines waiting on Code Engine).
RUN_WORKER_CONCURRENCY = env.int("RUN_WORKER_CONCURRENCY", default=512)
# Slots each worker keeps for the interactive runs of other people than the one (or the
# batch) filling the rest (an eighth of its slots at most): someone else's run starts at
# once, whatever one person queued.
# Runs in flight per instance, across workers, are set on each instance's page.
RUN_WORKER_INTERACTIVE_RESERVE = env.int("RUN_WORKER_INTERACTIVE_RESERVE", default=8)
# Database connections each worker process uses, whatever its concurrency.
RUN_WORKER_DB_CONNECTIONS = env.int("RUN_WORKER_DB_CONNECTIONS", default=8)
RUN_WORKER_POLL_SECONDS = env.float("RUN_WORKER_POLL_SECONDS", default=0.02)
# Live pages (a run's result, the history's rows in flight): how long a request waits for a
# change before answering anyway, how many wait at once per web process (keep it below the
# server's threads), and on SQLite how often the runs in flight are read while some wait.
LIVE_WAIT_SECONDS = env.float("LIVE_WAIT_SECONDS", default=25)
LIVE_WAITERS_PER_PROCESS = env.int("LIVE_WAITERS_PER_PROCESS", default=8)
LIVE_LOOK_SECONDS = env.float("LIVE_LOOK_SECONDS", default=0.01)
# The API: requests in one minute and runs in flight at once (a batch counts each of its
# runs), per key and for all of one person's keys together (more keys buy nothing more);
# requests waiting for a run's end (`?wait=N`, each holding a web thread) at once, per key
# and per person, in every web process together; and keys one person may have in use.
API_REQUESTS_PER_MINUTE = env.int("API_REQUESTS_PER_MINUTE", default=600)
API_USER_REQUESTS_PER_MINUTE = env.int("API_USER_REQUESTS_PER_MINUTE", default=600)
API_RUNS_IN_FLIGHT = env.int("API_RUNS_IN_FLIGHT", default=1000)
API_USER_RUNS_IN_FLIGHT = env.int("API_USER_RUNS_IN_FLIGHT", default=1000)
API_WAITS_PER_KEY = env.int("API_WAITS_PER_KEY", default=4)
API_WAITS_PER_USER = env.int("API_WAITS_PER_USER", default=8)
API_KEYS_PER_USER = env.int("API_KEYS_PER_USER", default=20)
# Jobs every worker runs every 2 s, and at once when a suite's or a table's runs finish,
# beside (never on) its heartbeat; named by path so the worker does not depend on the apps
# that provide them: judging the runs of suites and tables, queuing a table's next rows,
# the monitors (suites on a schedule), and ending load runs whose worker died.
RUN_WORKER_JOBS = [
    "codeengine_ui.suites.judging.judge_finished_cases",
    "codeengine_ui.tables.judging.judge_finished_rows",
    "codeengine_ui.tables.services.queue_waiting_rows",
    "codeengine_ui.tables.services.forget_old_drafts",
    "codeengine_ui.suites.judging.judge_slow_cases",
    "codeengine_ui.suites.monitors.run_due_monitors",
    "codeengine_ui.load_runs.tasks.settle_abandoned_load_runs",
]
# Runs over a table: the most rows one table may have (a file's size is bounded by
# MAX_UPLOAD_BYTES, or MAX_REQUEST_BYTES through the API), and the default row limit of a
# DataSet read.
TABLE_MAX_ROWS = env.int("TABLE_MAX_ROWS", default=10_000)
TABLE_DATASET_ROWS = env.int("TABLE_DATASET_ROWS", default=1_000)
# A table read but never run is forgotten after this many hours (its cells with it).
TABLE_DRAFT_HOURS = env.int("TABLE_DRAFT_HOURS", default=24)

# Load runs: the most virtual users, seconds and calls one may ask for (a load run is also
# capped to its instance's "runs at once").
LOAD_RUN_MAX_USERS = env.int("LOAD_RUN_MAX_USERS", default=200)
LOAD_RUN_MAX_SECONDS = env.int("LOAD_RUN_MAX_SECONDS", default=600)
LOAD_RUN_MAX_CALLS = env.int("LOAD_RUN_MAX_CALLS", default=100_000)
# Load runs one person may have waiting or running at once.
LOAD_RUN_MAX_IN_PROGRESS = env.int("LOAD_RUN_MAX_IN_PROGRESS", default=2)
# How long one expectation of a test case may take to check before it is stopped (unmet).
EXPECTATION_CHECK_SECONDS = env.float("EXPECTATION_CHECK_SECONDS", default=2.0)
# The largest result "Save as test" keeps as a snapshot.
CASE_SNAPSHOT_MAX_BYTES = env.int("CASE_SNAPSHOT_MAX_BYTES", default=2_000_000)
# Monitors: where their notifications link to, the hosts their webhooks may call (a host
# alone: HTTPS on port 443 only; "host:port": that port, over HTTP or HTTPS), and how
# email is sent.
CONSOLE_BASE_URL = env.str("CONSOLE_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
MONITOR_WEBHOOK_HOSTS = env.list("MONITOR_WEBHOOK_HOSTS", default=[])
# Where admins hear of access tokens that fail their daily check or are about to expire
# (besides the email of every admin who has one); its host must be in MONITOR_WEBHOOK_HOSTS.
ADMIN_WEBHOOK_URL = env.str("ADMIN_WEBHOOK_URL", default="")
# Monitors' emails go through an SMTP server (Django's classic default: one on localhost).
MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": env.str("EMAIL_SMTP_HOST", default="localhost"),
            "port": env.int("EMAIL_SMTP_PORT", default=25),
            "username": env.str("EMAIL_SMTP_USER", default=""),
            "password": env.str("EMAIL_SMTP_PASSWORD", default=""),
            "use_tls": env.bool("EMAIL_SMTP_TLS", default=False),
            "timeout": 10,
        },
    }
}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="console@localhost")
# How long a stopping worker waits for its runs in flight: Code Engine's limit and a margin.
RUN_WORKER_GRACE_SECONDS = env.float(
    "RUN_WORKER_GRACE_SECONDS", default=codeengine_client.DEFAULT_TIMEOUT_SECONDS + 30
)
# Tries of a run that Code Engine did not run (HTTP 429, or no connection): each waits
# for Retry-After (or a growing pause) and goes back to the queue. Nothing else is retried.
RUN_MAX_ATTEMPTS = env.int("RUN_MAX_ATTEMPTS", default=4)
# A worker whose heartbeat is older than this is considered gone (health, interrupted runs).
RUN_WORKER_STALE_SECONDS = env.int("RUN_WORKER_STALE_SECONDS", default=10)
# /metrics answers a scraper that sends this as a Bearer token, or one whose address is in
# one of these networks (CIDR); nothing else. In development, this machine may scrape.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = [
    ipaddress.ip_network(network, strict=False)
    for network in env.list(
        "METRICS_ALLOWED_NETWORKS", default=["127.0.0.1/32", "::1/128"] if DEBUG else []
    )
]
# Executions older than this many days are pruned (hourly by the worker, or with
# `manage.py prune_executions`); empty keeps everything.
_retention = env.str("EXECUTION_RETENTION_DAYS", default="").strip()
EXECUTION_RETENTION_DAYS = int(_retention) if _retention else None

# Every log line of every process is written by the one root handler, through the
# redacting formatter (domo/redaction.py); gunicorn's own lines go through the same
# redaction (gunicorn_logging.py). The process's configured secrets are redacted by value.
for _secret in (
    SECRET_KEY,
    *TOKEN_ENCRYPTION_KEYS,
    CODEENGINE_EMULATOR_TOKEN,
    CODEENGINE_EMULATOR_LIMITED_TOKEN,
    MAILERS["default"]["OPTIONS"]["password"],
    DATABASES["default"].get("PASSWORD") or "",
    *(app["secret"] for app in _oidc_apps),
):
    register_secret(_secret)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "class": "codeengine_ui.domo.redaction.RedactingFormatter",
            "format": "{asctime} {levelname} {name}: {message}",
            "style": "{",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Named so that Django's own handlers (not redacting) are dropped, for `django` and
        # its children (django.request, django.server...): their lines reach the root
        # handler above, once, redacted.
        "django": {"level": "INFO"},
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

# AI agents over MCP (/mcp/): OAuth 2.1 for assistants that connect (authorization code
# with PKCE only, public clients registering themselves), or an API key.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER = {
    "PKCE_REQUIRED": True,
    "ALLOWED_GRANT_TYPES": ["authorization_code", "refresh_token"],
    "SCOPES": {"tools": "List and run the functions you may run, as AI tools"},
    "DEFAULT_SCOPES": ["tools"],
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("MCP_ACCESS_TOKEN_SECONDS", default=3600),
    "REFRESH_TOKEN_EXPIRE_SECONDS": env.int("MCP_REFRESH_TOKEN_SECONDS", default=30 * 86400),
    "ROTATE_REFRESH_TOKEN": True,
    # A refresh token used twice revokes its whole family (RFC 9700 4.14.2).
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    # Only a checksum of each token is stored; `plain` PKCE, the implicit and password
    # grants and tokens in query strings are refused; the `iss` response parameter is sent.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    # What the toolkit itself lets through (the admin's forms). The registration endpoint
    # has its own rules (agents/redirect_uris.py): https, http on loopback addresses only
    # (RFC 8252), or an app's private-use scheme, and the consent page redirects to the
    # registered URI's scheme.
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    # A loopback redirect may name any port at the time of the request (RFC 8252 7.3),
    # localhost included: assistants on a laptop listen on a port of the moment.
    "ALLOW_LOCALHOST_LOOPBACK": True,
}
# How long a tool call waits for its run before answering with the run's id (get_run
# follows it), in seconds.
MCP_WAIT_SECONDS = max(0, min(env.int("MCP_WAIT_SECONDS", default=30), 60))
# Clients registering themselves (RFC 7591) from one address in an hour, counted in a
# sliding window of about ten minutes (agents/registration.py); a client nobody took a token
# for is deleted a day after it registered.
MCP_CLIENT_REGISTRATIONS_PER_HOUR = env.int("MCP_CLIENT_REGISTRATIONS_PER_HOUR", default=100)
# The largest result (or inputs) a tool call hands an agent whole, in bytes of JSON; a
# larger one is named with its run's link instead.
MCP_RESULT_MAX_BYTES = env.int("MCP_RESULT_MAX_BYTES", default=100_000)
# Origins of browser pages (assistants that run in a page) allowed to call /mcp/; any
# other page's request is refused, as the protocol asks against DNS rebinding.
MCP_ALLOWED_ORIGINS = env.list("MCP_ALLOWED_ORIGINS", default=[])
