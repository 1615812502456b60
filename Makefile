# Rapport: `make run` starts the CRM on its embedded defaults; `make test` runs every test.
VENV ?= .venv
PYTHON ?= python3
BIN = $(VENV)/bin
FLASK = $(BIN)/flask --app wsgi

.PHONY: install run test test-fast bench load-test lint translations

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: install
	$(FLASK) rapport serve

test: install
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not browser"

bench: install
	$(BIN)/python -m bench

# 100 staff and 200 portal users for 2 minutes on gunicorn (BENCH_DATABASE_URL: a seeded database).
load-test: install
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m bench.load

lint: install
	$(BIN)/ruff check app tests bench
	$(BIN)/ruff format --check app tests bench

translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 -o app/translations/messages.pot app
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d app/translations
