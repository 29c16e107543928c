# coordapp — the two commands are `make run` and `make test`; `make help` lists the rest.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask
HOST ?= 127.0.0.1
PORT ?= 5000
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
# Test processes (pytest-xdist): `auto` is one per core; TEST_WORKERS=0 runs in one process.
# Not WORKERS: that one is gunicorn's (`make serve`).
TEST_WORKERS ?= auto
PYTEST := $(PY) -m pytest -p no:cacheprovider -n $(TEST_WORKERS) --dist loadgroup
export FLASK_APP := coordapp.wsgi

.DEFAULT_GOAL := help
.PHONY: help install pdf-libraries db run release serve test lint format test-sqlite test-postgres bench bench-load clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	@touch $@

# WeasyPrint (the board pack PDF) loads these system libraries and needs one local font.
PDF_DEBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fontconfig fonts-dejavu-core

install: $(VENV)/.installed pdf-libraries ## create .venv and install coordapp with its test tools

pdf-libraries: ## Debian's pango / harfbuzz / DejaVu for the board pack PDF, when missing (as root)
	@if ldconfig -p | grep -q 'libpangoft2-1.0.so.0' && ldconfig -p | grep -q 'libharfbuzz-subset.so.0' \
	    && fc-list 2>/dev/null | grep -qi 'dejavu\|liberation'; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian's libraries for the board pack PDF: $(PDF_DEBS)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PDF_DEBS) >/dev/null; \
	else \
	  echo "The board pack PDF needs: sudo apt-get install -y $(PDF_DEBS)"; exit 1; \
	fi

db: install ## migrate the database, seed reference data, load the demo network into an empty one
	$(FLASK) db upgrade
	$(FLASK) seed
	$(FLASK) demo load --if-empty

run: db ## set up everything, then serve on http://$(HOST):$(PORT)
	@echo
	@echo "  coordapp is starting on http://$(HOST):$(PORT)/"
	@$(FLASK) demo credentials
	@echo
	$(FLASK) run --host $(HOST) --port $(PORT)

release: install ## migrate + seed reference data, once, before `make serve` starts the workers
	$(FLASK) release

# Production: COORDAPP_ENV=production, SECRET_KEY and a postgresql:// DATABASE_URL are required;
# WORKERS, THREADS, HOST, PORT (default 8000), REDIS_URL … see README "Production".
serve: install ## production server: release step, then gunicorn with several workers
	export COORDAPP_ENV=$${COORDAPP_ENV:-production} && $(FLASK) release && \
		exec $(VENV)/bin/gunicorn -c python:coordapp.gunicorn_conf coordapp.wsgi:app

lint: install ## ruff (lint + format check), mypy and the layer contracts (import-linter)
	$(VENV)/bin/ruff check coordapp dashboards tests bench
	$(VENV)/bin/ruff format --check coordapp dashboards tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

format: install ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix coordapp dashboards tests bench
	$(VENV)/bin/ruff format coordapp dashboards tests bench

test: lint test-sqlite test-postgres ## lint, then the whole suite on SQLite and on PostgreSQL

test-sqlite: install ## the suite on SQLite, in parallel (TEST_WORKERS, default one per core)
	@echo "== test suite on SQLite =="
	$(PYTEST)

# Under CI=true an unreachable PostgreSQL fails the run; on a laptop it is skipped loudly.
test-postgres: install ## the suite on PostgreSQL ($(PG_TEST_URL)), in parallel
	@echo "== test suite on PostgreSQL =="
	@if $(PY) -c "import sqlalchemy as sa; sa.create_engine('$(PG_TEST_URL)', connect_args={'connect_timeout': 3}).connect().close()" 2>/dev/null; then \
		TEST_DATABASE_URL='$(PG_TEST_URL)' $(PYTEST); \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL at $(PG_TEST_URL) is unreachable and CI=true: failing."; exit 1; \
	else \
		echo "WARNING: PostgreSQL at $(PG_TEST_URL) is unreachable: the PostgreSQL run is SKIPPED."; \
	fi

bench: install ## benchmarks at 1x / 10x / 100x the demo network (see bench/README.md)
	$(PY) -m bench.run
	$(PY) -m bench.lists
	$(PY) -m bench.dashboards.run

bench-load: install ## load test: gunicorn on PostgreSQL at 1x and 100x, 20 viewers + 5 managers, req/s and p50/p95/p99 per role (bench/README.md)
	$(PY) -m bench.load

clean: ## remove the virtualenv and caches (keeps instance/)
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache *.egg-info
