PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup test lint bench serve clean

setup: $(STAMP)

# Reinstall when the project's metadata changes; nothing but Python and the package index needed.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: setup lint
	$(BIN)/pytest -q

bench: setup
	$(BIN)/python -m bench $(ONLY)

serve: setup
	$(BIN)/listrak-harness serve

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
