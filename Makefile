# Two commands on a fresh machine:
#   make run   - the store on http://127.0.0.1:8000 (embedded PostgreSQL, demo data)
#   make test  - the whole test suite (DATABASE_URL, else 127.0.0.1:5432 when it
#                answers, else the embedded server)
#   make bench - the benchmark (PostgreSQL, wrk, gunicorn; a few minutes)
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000

.PHONY: run stop test lint install install-dev bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Running needs the runtime requirements only; testing adds the tools.
$(VENV)/.installed-local: requirements.txt requirements-local.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-local.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed-local requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed-local

install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver $(HOST)

# The embedded PostgreSQL server keeps running between commands; this stops it.
stop: install
	$(BIN)/python -c 'from pathlib import Path; from store_project.db import embedded; embedded.stop(Path(".pgdata"))'

test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install-dev
	bash bench/run
