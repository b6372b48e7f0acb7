# Everyday commands: `make run` for a local portal against the PingOne emulator, `make test` for the suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint format bench bench-quick setup services clean run-prod-like

setup: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	@scripts/setup-venv.sh "$(PYTHON)" "$(VENV)"
	@touch $(STAMP)

services:
	@scripts/ensure-services.sh

run: setup services
	@scripts/run-all.sh

# The production topology locally: the emulator, then the Procfile under honcho (two gunicorn
# web processes on 8000 and 8001, two Celery workers, one beat) on one database, Redis and S3.
run-prod-like: setup services
	@scripts/run-prod-like.sh

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

.PHONY: test-browser screenshots

# The browser tests alone (marker `browser`, tests/test_browser*.py): headless Debian Chromium.
test-browser: setup services
	@scripts/ensure-chromium.sh
	REDIS_URL=$${TEST_REDIS_URL:-redis://127.0.0.1:6379/14} $(VENV)/bin/pytest -m browser

# Refresh the README's screenshots (docs/screenshots/*.png) from a fresh portal.
screenshots: setup services
	@scripts/ensure-chromium.sh
	PORTAL_SCREENSHOTS=docs/screenshots REDIS_URL=$${TEST_REDIS_URL:-redis://127.0.0.1:6379/14} \
		$(VENV)/bin/pytest -m browser tests/test_browser_pages.py

# The figures are Postgres figures: the local server unless DATABASE_URL names another.
BENCH_DATABASE_URL := postgres://postgres@127.0.0.1:5432/portal_bench

# Every figure of the performance issue against its reference, then one table (docs/PERFORMANCE.md).
# Benchmarks use Redis databases 7 and 8 and a fresh database per stack (Postgres with DATABASE_URL).
bench: setup services
	DATABASE_URL=$${DATABASE_URL:-$(BENCH_DATABASE_URL)} $(PY) bench/run.py

# The same on fewer images: under two minutes on an idle machine.
bench-quick: setup services
	DATABASE_URL=$${DATABASE_URL:-$(BENCH_DATABASE_URL)} $(PY) bench/run.py --quick

clean:
	rm -rf $(VENV) .data .pytest_cache .ruff_cache
