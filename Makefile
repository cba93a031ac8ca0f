# The two commands of README.md: `make run` and `make test`. Everything they need is here.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)

.PHONY: run install test lint clean

run: install
	$(BIN)/kotwal demo

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

test: install
	./scripts/test

lint: install
	./scripts/test --lint-only

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
