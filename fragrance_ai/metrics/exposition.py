"""Rendering a registry for Prometheus, and the names it will render: this process's, or
every metric any of the programs registers (for checks of dashboards and alerts)."""

import importlib

from aiohttp import web
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric

# The sample names each metric type adds to its family's name.
SUFFIXES: dict[str, tuple[str, ...]] = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("", "_sum", "_count", "_created"),
    "gauge": ("",),
    "info": ("_info",),
    "stateset": ("",),
    "enum": ("",),
    "gaugehistogram": ("_bucket", "_gsum", "_gcount"),
    "unknown": ("",),
}


async def metrics_view(request: web.Request) -> web.Response:
    """The process's registry in Prometheus text format."""
    body = generate_latest(REGISTRY)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def registered_names(registry: CollectorRegistry = REGISTRY) -> set[str]:
    """Every sample name the registry can expose, including metrics with no labelled
    child yet (which render no samples) and histogram `_bucket`/`_sum`/`_count`."""
    return {name for family in registry.collect() for name in _sample_names(family)}


def _sample_names(family: Metric) -> set[str]:
    suffixes = SUFFIXES.get(family.type, ("",))
    return {family.name + suffix for suffix in suffixes} | {s.name for s in family.samples}


METRIC_MODULES = (
    "fragrance_ai.metrics.http",
    "fragrance_ai.metrics.jobs",
    "fragrance_ai.metrics.lag",
    "fragrance_ai.metrics.rl",
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
