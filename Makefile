# Everyday commands. `make run` and `make test` are the two a newcomer needs:
# each creates .venv and installs the locked dependencies first when needed.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install run test check lint format typecheck importlint pytest migrate revision lock pre-commit bench bench-ladder clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Python 3.11 or newer is needed (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): requirements-dev.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	@touch $@

install: $(INSTALLED) ## Create .venv and install the locked dependencies

run: $(INSTALLED) ## Serve the API on 127.0.0.1:8000 (embedded PostgreSQL unless DATABASE_URL is set)
	$(BIN)/python -m interfaces serve --migrate

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

migrate: $(INSTALLED) ## Upgrade the database (DATABASE_URL, or embedded) to head
	$(BIN)/python -m interfaces migrate

revision: $(INSTALLED) ## New migration from the tables: make revision id=0002 m="add posts"
	@test -n "$(id)" -a -n "$(m)" || { echo 'usage: make revision id=0002 m="what it does"'; exit 1; }
	$(BIN)/python -m interfaces revision --id "$(id)" -m "$(m)"

bench: $(INSTALLED) ## Service vs raw-driver floor under wrk (BENCH_ARGS=--quick for ~1 min)
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

bench-ladder: $(INSTALLED) ## GET /users/{id} from the floor to the service, one layer a rung
	$(BIN)/python -m benchmarks --ladder $(BENCH_ARGS)

lock: $(INSTALLED) ## Re-resolve both lock files from pyproject.toml
	$(BIN)/python -m pip install --quiet uv==0.13.9
	$(BIN)/uv pip compile pyproject.toml --extra embedded --extra dev --python-version 3.11 --generate-hashes -q -o requirements-dev.lock
	@# The runtime lock takes the dev lock's versions, so tests run what production runs.
	$(BIN)/uv pip compile pyproject.toml --constraint requirements-dev.lock --python-version 3.11 --generate-hashes -q -o requirements.lock

pre-commit: $(INSTALLED) ## Install the git hooks (ruff and mypy before each commit)
	$(BIN)/pre-commit install

clean: ## Remove the virtualenv, caches and local data (the embedded database too)
	rm -rf $(VENV) .data .mypy_cache .ruff_cache .pytest_cache .import_linter_cache
