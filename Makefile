# Broker back office. `make run` sets up and serves the embedded default; `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Where `make test` and `make bench` look for PostgreSQL and Redis unless DATABASE_URL / REDIS_URL are set.
# pytest-django creates and drops its own test_<name> database; Redis DB 15 is flushed by the tests.
PG_URL ?= postgres://postgres@127.0.0.1:5432/crm
REDIS_TEST_URL ?= redis://127.0.0.1:6379/15
HOST ?= 127.0.0.1
PORT ?= 8000
# The pinned npm tools of the API client check (tests/harness/test_api_clients.py): openapi-typescript, tsc, Redocly.
CLIENTS := tests/harness/clients

.PHONY: install clients run test lint bench clean messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

$(CLIENTS)/node_modules/.package-lock.json: $(CLIENTS)/package.json $(CLIENTS)/package-lock.json
	npm ci --prefix $(CLIENTS) --no-audit --no-fund

# Without npm the client checks are skipped (REQUIRE_SERVICES=1 fails them): Node 20 and npm come from apt.
clients:
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory $(CLIENTS)/node_modules/.package-lock.json; \
	else echo "npm is missing: the API client checks will be skipped (apt-get install nodejs npm)"; fi

# The embedded default: SQLite file, tasks in-process (the beat schedule too), console email, files in ./media.
# Links built outside a request (checkout, email confirmation, password reset, the printed admin URL) use
# SITE_URL: unless set, the address served here, so they follow HOST= and PORT=.
run: export SITE_URL ?= http://$(HOST):$(PORT)
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo "Serving on http://$(HOST):$(PORT)/admin/ (log in with the admin login above; Ctrl-C stops)"
	$(BIN)/python manage.py serve $(HOST):$(PORT)

# PostgreSQL and Redis are used when reachable (CI always); otherwise SQLite, and the tests
# that need them are listed as skipped with the reason. REQUIRE_SERVICES=1 fails instead.
test: install clients
	@set -e; \
	db="$$($(BIN)/python scripts/services.py postgres "$${DATABASE_URL:-$(PG_URL)}")"; \
	redis="$$($(BIN)/python scripts/services.py redis "$${REDIS_URL:-$(REDIS_TEST_URL)}")"; \
	if [ -n "$$db" ]; then export DATABASE_URL="$$db"; else unset DATABASE_URL; fi; \
	if [ -n "$$redis" ]; then export REDIS_URL="$$redis"; else unset REDIS_URL; fi; \
	$(BIN)/python scripts/services.py report; \
	$(BIN)/pytest $(PYTEST_ARGS)

# The same checks run on commit once `$(BIN)/pre-commit install` is done (.pre-commit-config.yaml).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/mypy

# Translation catalogs: extract translatable text (GNU gettext's xgettext) and compile the committed .mo files.
messages: install
	$(BIN)/python scripts/messages.py labels
	$(BIN)/python manage.py makemessages $(foreach lang,$(shell ls locale),-l $(lang)) --no-obsolete \
		--ignore=.venv --ignore=tests --ignore=bench --ignore=scripts --ignore=staticfiles --ignore=media
	$(BIN)/python scripts/messages.py

# Benchmarks need PostgreSQL: bench/run.py says so and fails when it is unreachable.
bench: install
	$(BIN)/python bench/run.py $(NAME)

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm media staticfiles test-artifacts $(CLIENTS)/node_modules
