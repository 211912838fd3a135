# Everyday commands. `make run` and `make test` are the two a newcomer needs:
# each creates .venv and installs the locked dependencies first when needed.
# `make run` installs only what serving needs (requirements-run.lock: the
# runtime and the embedded PostgreSQL) and the service itself, editable, so
# that the `users-posts` command exists; `make test` adds the dev tools
# (requirements-dev.lock) to the same .venv.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
INSTALLED := $(VENV)/.installed
RUN_INSTALLED := $(VENV)/.installed-run
PIP := $(BIN)/python -m pip --quiet --disable-pip-version-check
# When make began: `make run` reports how long it took to answer, installs included.
STARTED := $(shell date +%s)

.DEFAULT_GOAL := help
.PHONY: help install run test check lint format typecheck importlint pytest migrate revision lock pre-commit bench bench-ladder bench-instructions clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-20s %s\n", $$1, $$2}'

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Python 3.11 or newer is needed (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): requirements-dev.lock | $(BIN)/python
	$(PIP) install --require-hashes -r requirements-dev.lock
	@touch $@

$(RUN_INSTALLED): requirements-run.lock pyproject.toml | $(BIN)/python
	$(PIP) install --require-hashes -r requirements-run.lock
	$(PIP) install --no-deps --editable .
	@touch $@

install: $(INSTALLED) ## Create .venv and install the locked dependencies, dev tools included

run: $(RUN_INSTALLED) ## Serve the API on 127.0.0.1:8000 (embedded PostgreSQL unless DATABASE_URL is set)
	@# One shell: report-ready watches its pid, which exec hands to the server.
	@scripts/report-ready $(STARTED) $$$$ http://$${HOST:-127.0.0.1}:$${PORT:-8000}/health/live & \
		exec $(BIN)/users-posts serve --migrate

test: check pytest ## Lint, type-check, check the layers, then run every test

check: lint typecheck importlint ## The static checks only

lint: $(INSTALLED) ## ruff: lint and formatting
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(INSTALLED) ## Rewrite the code in the house style
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(INSTALLED) ## mypy --strict on the four layers and the tests
	$(BIN)/mypy

importlint: $(INSTALLED) ## import-linter: dependencies point inward only
	$(BIN)/lint-imports

pytest: $(INSTALLED) ## The test suite alone (TEST_DATABASE_URL picks the server)
	$(BIN)/pytest $(PYTEST_ARGS)

migrate: $(RUN_INSTALLED) ## Upgrade the database (DATABASE_URL, or embedded) to head
	$(BIN)/users-posts migrate

revision: $(INSTALLED) ## New migration from the tables, into this checkout: make revision id=0007 m="..."
	@test -n "$(id)" -a -n "$(m)" || { echo 'usage: make revision id=0002 m="what it does"'; exit 1; }
	$(BIN)/python -m interfaces revision --id "$(id)" -m "$(m)"

bench: $(INSTALLED) ## Service vs raw-driver floor under wrk (BENCH_ARGS=--quick for ~1 min)
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

bench-ladder: $(INSTALLED) ## GET /users/{id} from the floor to the service, one layer a rung
	$(BIN)/python -m benchmarks --ladder $(BENCH_ARGS)

bench-instructions: $(INSTALLED) ## Instructions per request under callgrind, in process (valgrind)
	$(BIN)/python -m benchmarks --instructions $(BENCH_ARGS)

LOCK := $(BIN)/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes -q

lock: $(INSTALLED) ## Re-resolve the three lock files from pyproject.toml
	$(PIP) install uv==0.13.9
	$(LOCK) --extra embedded --extra redis --extra seed --extra dev -o requirements-dev.lock
	@# The others take the dev lock's versions, so tests run what production runs.
	@# requirements.lock: the production image's (no extras); requirements-run.lock: `make run`'s.
	$(LOCK) --constraint requirements-dev.lock -o requirements.lock
	$(LOCK) --constraint requirements-dev.lock --extra embedded -o requirements-run.lock

pre-commit: $(INSTALLED) ## Install the git hooks (ruff and mypy before each commit)
	$(BIN)/pre-commit install

clean: ## Remove the virtualenv, caches and local data (the embedded database too)
	rm -rf $(VENV) .data .mypy_cache .ruff_cache .pytest_cache .import_linter_cache
