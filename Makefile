# orderflow: the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test install demo bench chaos lock lint format typecheck clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the project with its tools

run: $(STAMP)  ## start everything locally (Temporal, PostgreSQL, SMTP sink, sandboxes, worker, API)
	$(BIN)/python -m runtime.devstack

demo: $(STAMP)  ## place a few demo orders on the running system (orderflow demo)
	$(BIN)/orderflow demo

test: $(STAMP)  ## the whole suite, offline, with its own Temporal servers and PostgreSQL
	$(BIN)/python -m pytest -q

bench: $(STAMP)  ## benchmarks (ratios against a baseline measured in the same run)
	$(BIN)/python -m bench $(BENCH_ARGS)

chaos: $(STAMP)  ## orders through a stack whose parts fail; audits states, money, webhooks
	$(BIN)/python -m chaos $(CHAOS_ARGS)

lock: $(STAMP)  ## pin the image's runtime dependencies with their hashes (requirements.lock)
	$(BIN)/python -m runtime.lockfile

lint: $(STAMP)  ## ruff; bandit (no high finding); pip-audit over requirements.lock (needs a vulnerability service)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -q -r . -x ./.venv,./tests,./.data -lll
	$(BIN)/pip-audit --strict --progress-spinner off -r requirements.lock

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(STAMP)
	$(BIN)/mypy domain

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
