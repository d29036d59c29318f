# glue-customers — `make run` serves the API on embedded SQLite; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
WORKERS ?= 1
STAMP := $(VENV)/.installed
# Node tools of the tests and the linter (oauth4webapi, Redocly CLI), pinned by tests/package-lock.json.
NODE_STAMP := tests/node_modules/.installed
REDOCLY := REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true tests/node_modules/.bin/redocly

.PHONY: install node-install run migrate test check lint typecheck format fuzz bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

$(NODE_STAMP): tests/package.json tests/package-lock.json
	cd tests && npm ci --no-audit --no-fund
	touch $(NODE_STAMP)

node-install: $(NODE_STAMP)

migrate: install
	$(BIN)/python -m app.migrate

run: migrate
	$(BIN)/uvicorn --factory app.main:app --host $(HOST) --port $(PORT) --workers $(WORKERS)

# The whole suite on SQLite, and on PostgreSQL too when TEST_POSTGRES_URL is set.
# The Node client test installs tests/node_modules itself when node is there (skipped where not).
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# schemathesis (stateful links, negative data, every check) against a real uvicorn process; minutes.
# FUZZ_EXAMPLES=1000 for a longer run, FUZZ_SCHEMA=path/or/url for another contract.
fuzz: install
	$(BIN)/python -m tests.fuzz

# Redocly's recommended rules on the contract (.redocly.lint-ignore.yaml: the operations that only refuse).
lint: install node-install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(REDOCLY) lint --format=summary openapi.yaml

typecheck: install
	$(BIN)/mypy app resources schemas errors

check: lint typecheck test

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache tests/node_modules

# Load test against its ceilings on PostgreSQL (a few minutes; not part of test or check).
# Needs wrk (installed with apt-get when missing) and PostgreSQL at BENCH_DATABASE_URL, whose
# database (default: bench) is created when missing and reset on every run.
bench: install
	@command -v wrk >/dev/null || { apt-get update && apt-get install -y wrk; }
	$(BIN)/python -m bench.run
