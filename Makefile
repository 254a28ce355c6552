# erpsync developer tasks. Every target creates .venv on first use.
#   make demo        start the reference CRM host with demo ERP data
#   make test        the whole test suite (installs Debian's Chromium when missing)
#   make test-all    the same plus the slow tests (a 1,000,000-row file import, a
#                    100,000-row import while admins browse); figures in build/reliability
#   make lint        ruff
#   make i18n-check  are the nl/no/en catalogs complete and valid?
#   make docs        the documentation site (MkDocs, warnings are errors) in build/docs-site
#   make bench       the import benchmark (docs/performance.md); a quick one:
#                    make bench BENCH_ARGS="--rows 20000 --runs 1"

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Extra arguments for pytest, e.g. make test PYTEST_ARGS="tests/cli -x"
PYTEST_ARGS ?=
# Extra arguments for bench/run.py (see its --help)
BENCH_ARGS ?=

.PHONY: demo test test-all lint i18n-check docs bench

# The stamp is rebuilt when the project's dependencies change.
$(BIN)/erpsync: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

demo: $(BIN)/erpsync
	$(BIN)/erpsync demo

test: $(BIN)/erpsync
	.ci/ensure-chromium.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Tests marked slow (pytest -m slow) are skipped unless ERPSYNC_SLOW_TESTS=1.
test-all: $(BIN)/erpsync
	.ci/ensure-chromium.sh
	ERPSYNC_SLOW_TESTS=1 $(BIN)/python -m pytest $(PYTEST_ARGS)
	$(BIN)/python tests/reliability_figures.py  # the figures of docs/reliability.md

lint: $(BIN)/erpsync
	$(BIN)/ruff check

# The peer (django-import-export) gets its own venv, bench/.venv-peer, made by run.py.
bench: $(BIN)/erpsync
	$(BIN)/python bench/run.py $(BENCH_ARGS)

i18n-check: $(BIN)/erpsync
	$(BIN)/erpsync i18n check

# The docs extra (MkDocs) on top of the project; rebuilt when pyproject.toml changes.
$(VENV)/.docs-installed: pyproject.toml $(BIN)/erpsync
	$(BIN)/python -m pip install --quiet -e ".[docs]"
	touch $@

docs: $(VENV)/.docs-installed
	$(BIN)/mkdocs build --strict --clean
