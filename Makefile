# erpsync developer tasks. Every target creates .venv on first use.
#   make demo        start the reference CRM host with demo ERP data
#   make test        the whole test suite (installs Debian's Chromium when missing)
#   make lint        ruff
#   make i18n-check  are the nl/no/en catalogs complete and valid?

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Extra arguments for pytest, e.g. make test PYTEST_ARGS="tests/cli -x"
PYTEST_ARGS ?=

.PHONY: demo test lint i18n-check

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

lint: $(BIN)/erpsync
	$(BIN)/ruff check

i18n-check: $(BIN)/erpsync
	$(BIN)/erpsync i18n check
