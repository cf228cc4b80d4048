# Every routine task has a target here; the README's commands are the ones CI runs.
PYTHON ?= python3.13
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test
# The suite runs in this many processes (a module's tests stay in one of them); the tests
# that measure latency run afterwards, alone.
TEST_PROCESSES ?= 2
PYTEST := $(BIN)/pytest -n $(TEST_PROCESSES) --dist loadfile -m "not serial" && $(BIN)/pytest -m serial

.DEFAULT_GOAL := help
.PHONY: help install setup run cli test test-postgres bench screenshots lint format lock chromium prometheus clean

help:
	@echo "make run            set up and start the console on http://127.0.0.1:$${PORT:-8000}"
	@echo "make install        create .venv with the runtime dependencies only (deployments)"
	@echo "make setup          what make run does before starting: .venv, .env, migrate, demo data"
	@echo "make cli            install the ce command line into .venv/bin/ce"
	@echo "make test           ruff + the whole test suite (SQLite, browser tests included)"
	@echo "make test-postgres  the whole test suite against PostgreSQL ($(POSTGRES_URL))"
	@echo "make bench          print the benchmark figures"
	@echo "make screenshots    retake the README's screenshots from the demo data"
	@echo "make format         format the code with ruff"
	@echo "make lock           re-resolve uv.lock after changing pyproject.toml"

$(BIN)/uv:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.13 is required: '$(PYTHON)' was not found (set PYTHON=...)."; exit 1; }
	@echo "Creating $(VENV) with $(PYTHON)..."
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.runtime-installed: $(BIN)/uv pyproject.toml uv.lock
	@echo "Installing the locked dependencies into $(VENV)..."
	@$(BIN)/uv sync --quiet --locked --inexact --no-dev
	@touch $@

$(VENV)/.dev-installed: $(BIN)/uv pyproject.toml uv.lock
	$(BIN)/uv sync --quiet --locked --inexact
	@touch $@

install: $(VENV)/.runtime-installed

# The first start writes a development .env, so every manage.py command the README shows
# works afterwards as written; a deployment writes its own (see .env.example).
.env:
	@printf '%s\n' '# Written by the first "make run": local development only.' \
	  '# A deployment writes its own .env (see .env.example and the README).' 'DEBUG=1' > $@
	@echo "Wrote .env for local development (DEBUG=1)."

# Quiet on purpose (the audit lines the demo data writes are in the audit log): the last
# thing it prints is the admin's login, framed, so that the one-time password is not lost
# above the output of the processes make run starts next.
setup: $(VENV)/.runtime-installed .env
	@echo "Migrating the database..."
	@LOG_LEVEL=WARNING $(BIN)/python manage.py migrate --noinput --verbosity 0
	@echo "Loading the demo data..."
	@LOG_LEVEL=WARNING $(BIN)/python manage.py seed_demo --url http://127.0.0.1:$${PORT:-8000}/

# honcho runs the Procfile: web, worker and emulator; Ctrl-C, or any of them ending,
# stops all three.
run: export DEBUG ?= 1
run:
	@echo "Setting up, then starting the web server, the worker and the emulator (Ctrl-C stops all three)."
	@$(MAKE) --no-print-directory setup
	@PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start --no-colour --env /dev/null --port $${PORT:-8000}

# The command line alone (click and httpx, from uv.lock's cli group), without the console's
# dependencies; make run and make install leave it in place.
cli: $(BIN)/uv
	@$(BIN)/uv sync --quiet --locked --inexact --only-group cli
	@echo "ce is installed: $(CURDIR)/$(BIN)/ce (try: $(BIN)/ce --help)."
	@echo "Point it at a console with an API key from your profile page there (your name, top right):"
	@echo "  $(BIN)/ce login http://127.0.0.1:$${PORT:-8000}    (asks for the key), or set CE_URL and CE_KEY"
	@echo "To call it as ce from anywhere: ln -s $(CURDIR)/$(BIN)/ce ~/.local/bin/ce"

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  elif command -v sudo >/dev/null 2>&1; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Install it with: apt-get install chromium"; exit 1; fi; }

# The test that a real Prometheus scrapes /metrics skips without it; CI installs it first.
# Without its recommends, which are exporters for the host that would start as services.
prometheus:
	@command -v prometheus >/dev/null 2>&1 || { \
	  echo "Installing Debian's prometheus for the scrape test..."; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null; \
	  elif command -v sudo >/dev/null 2>&1; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null; \
	  else echo "Install it with: apt-get install prometheus"; exit 1; fi; }

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint chromium
	$(PYTEST)

test-postgres: $(VENV)/.dev-installed chromium
	@$(BIN)/python -c "import psycopg, sys; psycopg.connect('$(POSTGRES_URL)', connect_timeout=3).close()" 2>/dev/null || { \
	  echo "PostgreSQL does not answer at $(POSTGRES_URL)."; \
	  echo "Start it, e.g.: pg_ctlcluster --skip-systemctl-redirect \$$(ls /etc/postgresql) main start"; \
	  echo "(or: sudo service postgresql start), then run make test-postgres again."; exit 1; }
	export DATABASE_URL=$(POSTGRES_URL) && $(PYTEST)

screenshots: $(VENV)/.dev-installed chromium
	$(BIN)/python docs/take_screenshots.py

bench: $(VENV)/.dev-installed
	@for script in benchmarks/*.py; do $(BIN)/python $$script || exit 1; done

lock: $(BIN)/uv
	$(BIN)/uv lock

clean:
	rm -rf $(VENV) var/test*.sqlite3* var/bench*
