PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup browser test lint conform bench serve clean

setup: $(STAMP)

# Reinstall when the project's metadata changes; nothing but Python and the package index needed.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The HTML report is tested in a real browser: Debian's Chromium, installed once if it is missing.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing chromium (Debian package) for the HTML report's browser test"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: setup browser lint
	$(BIN)/pytest -q

# The main job: generated histories against the reference sync, fakes in-process, the report printed.
conform: setup
	$(BIN)/listrak-harness conform --impl reference $(ARGS)

bench: setup
	$(BIN)/python -m bench $(ONLY)

serve: setup
	$(BIN)/listrak-harness serve

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
