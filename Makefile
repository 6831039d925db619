# The two commands of the README: `make demo` and `make test`. Both build .venv themselves.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install test lint pytest demo generate bench clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## Everything CI checks: lint, types, layering, generated files, tests.
test: lint pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/stagingpro crds --check --reference docs/api.md
	$(BIN)/stagingpro crds --check --output charts/stagingpro/crds
	$(BIN)/stagingpro schema --check

pytest: $(STAMP)
	$(BIN)/pytest

demo: $(STAMP)
	$(BIN)/python -m controller.demo

## Regenerate crds/ (and the chart's copy), docs/api.md and docs/schema/ from the models.
generate: $(STAMP)
	$(BIN)/stagingpro crds --reference docs/api.md
	$(BIN)/stagingpro crds --output charts/stagingpro/crds
	$(BIN)/stagingpro schema

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
