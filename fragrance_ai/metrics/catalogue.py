"""Every metric any of the programs registers, for checks of dashboards and alerts."""

import importlib

from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import REGISTRY

from fragrance_ai.metrics.exposition import registered_names

METRIC_MODULES = (
    "fragrance_ai.metrics.http",
    "fragrance_ai.metrics.jobs",
    "fragrance_ai.metrics.queue_size",
    "fragrance_ai.metrics.rl",
    "fragrance_ai.metrics.sweeper",
    "brokers.dead_letter",
    "fragrance_ai.llm.metrics",
)


def all_metric_names() -> set[str]:
    """Sample names of the API's and both workers' metrics, FastStream's included."""
    for module in METRIC_MODULES:
        importlib.import_module(module)
    # Registers FastStream's metrics as a worker does (or finds them registered).
    KafkaPrometheusMiddleware(registry=REGISTRY)
    return registered_names(REGISTRY)
