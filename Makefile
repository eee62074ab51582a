# Fangkong: two commands. `make demo` serves the platform on real data; `make test` runs
# the whole suite (SQLite and PostgreSQL, headless Chromium). Both build .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: demo test lint typecheck check bench validation clean-db lock

$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/fangkong demo

# The load test (marker `serial`) measures the server under 1,000 connections: it runs
# after the rest, alone on the machine, so that other tests do not share its 2 cores.
test: $(STAMP)
	$(PY) -m pytest -n 2 -m "not serial" $(PYTEST_ARGS)
	$(PY) -m pytest -p no:xdist -m serial $(PYTEST_ARGS) || [ $$? -eq 5 ]  # 5: none selected

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench scripts
	$(VENV)/bin/ruff format --check src tests bench scripts

typecheck: $(STAMP)
	$(VENV)/bin/mypy

check: lint typecheck test

bench: $(STAMP)
	$(PY) bench/ingest.py

# Regenerate the figures and tables of docs/validation.md from the bundled real data.
validation: $(STAMP)
	scripts/validation/run_all.sh

# Message catalogues of the web pages (Babel): extract, merge into zh/en, compile.
LOCALE := src/fangkong/web/locale
i18n: $(STAMP)
	$(VENV)/bin/pybabel extract -F src/fangkong/web/babel.cfg -k N_ --no-wrap --omit-header \
		-o $(LOCALE)/messages.pot src
	$(VENV)/bin/pybabel update -i $(LOCALE)/messages.pot -d $(LOCALE) --no-wrap \
		--no-fuzzy-matching --ignore-obsolete
	$(VENV)/bin/pybabel compile -d $(LOCALE) --statistics

clean-db:
	rm -f var/fangkong.db var/fangkong.db-wal var/fangkong.db-shm

# Regenerate the lock file after changing dependencies in pyproject.toml.
lock: $(STAMP)
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 \
		--generate-hashes -o requirements.lock
