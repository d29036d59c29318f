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

# Every package, pinned with its hashes: what make install and CI install (all extras), and what the
# container image installs (the service and its otel extra). pyproject.toml keeps the ranges;
# `make lock` resolves them again (after any change to pyproject.toml's dependencies).
# `make lock LOCK_OPTIONS=--upgrade` moves every package within its range to the newest release.
LOCK := requirements-dev.lock
IMAGE_LOCK := requirements.lock
UV_COMPILE := $(BIN)/uv pip compile pyproject.toml --quiet --universal --python-version 3.11 \
	--generate-hashes --custom-compile-command 'make lock' $(LOCK_OPTIONS)

.PHONY: install node-install lock run migrate test check lint typecheck format fuzz bench bench-avatar bench-backoffice bench-orders bench-import clean

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

$(NODE_STAMP): tests/package.json tests/package-lock.json
	cd tests && npm ci --no-audit --no-fund
	touch $(NODE_STAMP)

node-install: $(NODE_STAMP)

lock: install
	$(UV_COMPILE) --all-extras --output-file $(LOCK)
	$(UV_COMPILE) --extra otel --constraints $(LOCK) --output-file $(IMAGE_LOCK)
	$(MAKE) install

migrate: install
	$(BIN)/glue-customers migrate

run: migrate
	$(BIN)/python -m app --host $(HOST) --port $(PORT) --workers $(WORKERS)

# The whole suite on SQLite, and on PostgreSQL too when TEST_POSTGRES_URL is set, in one test process
# per core (TEST_PROCESSES=0 runs it in this process, e.g. to use a debugger).
# The Node client test installs tests/node_modules itself when node is there (skipped where not).
TEST_PROCESSES ?= auto
test: install
	$(BIN)/python -m pytest -n $(TEST_PROCESSES) --dist worksteal $(PYTEST_ARGS)

# schemathesis (stateful links, negative data, every check) against a real uvicorn process; minutes.
# FUZZ_EXAMPLES=1000 for a longer run, FUZZ_SCHEMA=path/or/url for another contract.
fuzz: install
	$(BIN)/python -m tests.fuzz

# Redocly's recommended rules on the contract (.redocly.lint-ignore.yaml: the operations that only refuse).
lint: install node-install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(REDOCLY) lint --format=summary openapi.yaml
	$(BIN)/hadolint Dockerfile

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
# backoffice-api §9's avatar row (PUT a 2 MiB 4000 x 3000 JPEG during GETs) on PostgreSQL; its
# database (BENCH_DATABASE_URL, default bench_avatar) is reset on every run.
bench-avatar: install
	$(BIN)/python -m bench.avatar

bench: install
	@command -v wrk >/dev/null || { apt-get update && apt-get install -y wrk; }
	$(BIN)/python -m bench.run

# Back-office search and statistics on PostgreSQL (BO §9): seeds 1,000,000 customers once (reused),
# then p95 per scenario and EXPLAIN (ANALYZE) into bench/results/.
bench-backoffice: install
	$(BIN)/python -m bench.backoffice

# The commerce ingest and order list on PostgreSQL (CB §13: O1-O4, C1) against PATCH and GET own
# profile in the same run; its database (BENCH_ORDERS_DATABASE_URL, default bench_orders) is reset on
# every run. Prints the table and writes bench/results/orders.md.
bench-orders: install
	$(BIN)/python -m bench.orders
# BO §9's import row: 100,000 CSV rows through the upload and the jobs worker (rows/s, peak RSS), and
# a server killed mid-import and restarted (exact totals, no duplicate). PostgreSQL at
# BENCH_DATABASE_URL (default bench_imports), reset on every run; results in bench/results/imports.txt.
bench-import: install
	$(BIN)/python -m bench.imports
