# Positrix — two commands for a newcomer: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint format bench clean web-assets serve

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.stamp-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.stamp-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.stamp-run

# the viewer's browser library (NiiVue) from the npm registry, pinned by web/package-lock.json
VENDOR := src/positrix/web/static/vendor/niivue.min.js
$(VENDOR): web/package.json web/package-lock.json
	npm ci --prefix web --no-audit --no-fund --silent
	mkdir -p $(dir $@)
	cp web/node_modules/@niivue/niivue/dist/index.js $@

web-assets: $(VENDOR)

## serve: the web application on the demo facility and study (http://127.0.0.1:8000)
serve: $(VENV)/.stamp-run $(VENDOR)
	$(BIN)/positrix serve --demo

## demo: set up and run the main job on the built-in demo study
demo: $(VENV)/.stamp-run $(VENDOR)
	$(BIN)/positrix demo --out demo-output --force

## test: set up and run every test
test: $(VENV)/.stamp-dev $(VENDOR)
	$(BIN)/python -m pytest -q

## lint: ruff (lint + format check) and mypy on the package
lint: $(VENV)/.stamp-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

format: $(VENV)/.stamp-dev
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

bench: $(VENV)/.stamp-run
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache web/node_modules $(VENDOR)
