# Everyday commands: `make run` for a local portal against the PingOne emulator, `make test` for the suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint format bench bench-quick setup services clean

setup: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	@scripts/setup-venv.sh "$(PYTHON)" "$(VENV)"
	@touch $(STAMP)

services:
	@scripts/ensure-services.sh

run: setup services
	@scripts/run-all.sh

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The suite uses its own Redis database so it never feeds a worker started by `make run`.
test: setup services lint
	@scripts/ensure-chromium.sh
	REDIS_URL=$${TEST_REDIS_URL:-redis://127.0.0.1:6379/14} $(VENV)/bin/pytest

# Everything but the end-to-end tests: no Redis, worker or browser needed, done in seconds.
test-fast: setup lint
	$(VENV)/bin/pytest -m "not e2e"

bench: setup services
	$(PY) bench/bench_emulator.py
	REDIS_URL=$${TEST_REDIS_URL:-redis://127.0.0.1:6379/14} $(PY) bench/bench_portal.py
	REDIS_URL=$${TEST_REDIS_URL:-redis://127.0.0.1:6379/14} $(PY) bench/bench_push.py
	REDIS_URL=$${TEST_REDIS_URL:-redis://127.0.0.1:6379/14} $(PY) bench/bench_pages.py

# The push comparison on fewer images: well under two minutes.
bench-quick: setup services
	REDIS_URL=$${TEST_REDIS_URL:-redis://127.0.0.1:6379/14} $(PY) bench/bench_push.py --quick
	REDIS_URL=$${TEST_REDIS_URL:-redis://127.0.0.1:6379/14} $(PY) bench/bench_pages.py --quick

clean:
	rm -rf $(VENV) .data .pytest_cache .ruff_cache
