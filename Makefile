# The commands of the README: `make run`, `make test` and `make demo`;
# `make lint` runs the checks that .ci/run runs before the tests.
PYTHON ?= python3
VENV ?= .venv
PORT ?= 5000
BIN := $(VENV)/bin

.PHONY: run test lint demo clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "commons needs Python 3.11 or newer; run: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

$(VENV)/.lint-installed: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[lint]'
	touch $@

# Development server and a job worker beside it: SQLite in instance/ (the
# queue too), repositories in repos/, a fresh session key per start unless
# COMMONS_SECRET_KEY is set. Ctrl-C stops both.
run: $(VENV)/.installed
	@export COMMONS_SECRET_KEY="$${COMMONS_SECRET_KEY:-$$($(BIN)/python -c 'import secrets; print(secrets.token_hex(32))')}"; \
	export COMMONS_BASE_URL="$${COMMONS_BASE_URL:-http://127.0.0.1:$(PORT)}"; \
	$(BIN)/flask --app commons db upgrade || exit 1; \
	$(BIN)/flask --app commons worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	echo "commons is serving on http://127.0.0.1:$(PORT) (and a worker runs its jobs)"; \
	$(BIN)/gunicorn --workers 2 \
		--bind 127.0.0.1:$(PORT) --access-logfile - 'commons:create_app()'

# Demo people, projects, history, proposals and ledger in an empty database
# (SQLite in instance/, repositories in repos/); refuses a database in use.
demo: $(VENV)/.installed
	$(BIN)/flask --app commons db upgrade
	$(BIN)/flask --app commons demo
	@echo "Now run: make run   (then open http://127.0.0.1:$(PORT)/)"

# One pytest-xdist worker per core (TEST_WORKERS=0 runs in one process);
# each worker has its own database (tests/conftest.py).
TEST_WORKERS ?= auto

test: $(VENV)/.test-installed
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# Ruff over the whole tree, mypy over commons/ (settings in pyproject.toml).
lint: $(VENV)/.lint-installed
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
