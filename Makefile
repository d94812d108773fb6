# Otmetka — the commands a newcomer needs:
#   make run     set everything up and start the app on http://127.0.0.1:8000/ (Ctrl-C stops it)
#   make test    run the whole test suite (extra pytest arguments: make test ARGS="-k marks")
# Both create .venv and install the project on first use (again only when pyproject.toml
# changes), and install the few Debian/Ubuntu packages they need (root or password-less sudo;
# otherwise they stop and name the packages).
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(VENV)/bin/python
ARGS ?=
ADDR ?= 127.0.0.1
PORT ?= 8000
export VENV ADDR PORT

# WeasyPrint (PDF reports) needs Pango; the browser tests drive Debian's Chromium.
PANGO_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0
BROWSER_PACKAGES := chromium

.PHONY: help run test deps system-packages test-system-packages migrate demo lint format clean

help:
	@echo "make run      set up (venv, packages, migrations, demo data) and start web + worker"
	@echo "make test     run the test suite; pass pytest arguments with ARGS=\"...\""
	@echo "make lint     ruff check + ruff format --check"
	@echo "make format   ruff format + ruff check --fix"
	@echo "make migrate  apply migrations;  make demo  load demo data into an empty database"
	@echo "make clean    remove .venv and var/ (the SQLite database, broker folders, mail)"

$(PY):
	bin/venv-create $(VENV)

# The stamp is newer than pyproject.toml once its dependencies are installed.
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $@

deps: $(VENV)/.installed

system-packages:
	@bin/ensure-system-packages $(PANGO_PACKAGES)

test-system-packages:
	@bin/ensure-system-packages $(PANGO_PACKAGES) $(BROWSER_PACKAGES)

migrate: deps system-packages
	$(PY) manage.py migrate --no-input

demo: migrate
	@bin/demo-data

run: demo
	@bin/run-embedded

test: deps test-system-packages
	$(PY) -m pytest $(ARGS)

lint: deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: deps
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) var
