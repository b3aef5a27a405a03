# Broker back office. `make run` sets up and serves the embedded default; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/crm
REDIS_DEFAULT ?= redis://127.0.0.1:6379/0

.PHONY: install run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 127.0.0.1:8000

# PostgreSQL and Redis are used when reachable (CI always); otherwise SQLite, and the
# tests that need them are listed as skipped with the reason.
test: install
	@export DATABASE_URL="$${DATABASE_URL:-$$($(BIN)/python scripts/services.py postgres $(PG_URL))}"; \
	export REDIS_URL="$${REDIS_URL:-$$($(BIN)/python scripts/services.py redis $(REDIS_DEFAULT))}"; \
	$(BIN)/python scripts/services.py report; \
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

bench: install
	$(BIN)/python bench/run.py $(NAME)

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles
