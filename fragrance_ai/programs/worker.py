"""`fragrance-ai worker llm|rl`: one FastStream consumer group member of a role."""

import asyncio
from collections.abc import Callable
from typing import Any

import structlog
from dynaconf import Dynaconf
from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import REGISTRY

from brokers.factory import make_broker, subscriber_options
from brokers.topics import command_topic, create_topics, topic_catalogue
from fragrance_ai.http.readiness import Readiness
from fragrance_ai.http.resources import broker_check
from fragrance_ai.jobs.retry import RetryPolicy
from fragrance_ai.metrics.queue_size import QueueSizeMonitor
from fragrance_ai.metrics.server import MetricsServer
from fragrance_ai.metrics.settings import metrics_settings
from fragrance_ai.programs.lifecycle import StartupError
from fragrance_ai.workers.interpreting import InterpretingStage, RuleBasedReader
from fragrance_ai.workers.optimising import OptimisingStage, reference_optimiser
from handlers import llm, rl
from schemas.messages import Optimizer

log = structlog.get_logger(__name__)

ROLES = ("llm", "rl")


def retry_policy(settings: Dynaconf) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=int(settings.jobs.max_attempts), backoff_s=float(settings.jobs.retry_backoff_s)
    )


def llm_context(settings: Dynaconf) -> dict[str, Any]:
    return {"interpreting_stage": InterpretingStage(RuleBasedReader(), retry_policy(settings))}


def rl_context(settings: Dynaconf) -> dict[str, Any]:
    optimisers = {Optimizer.REFERENCE: reference_optimiser}
    return {"optimising_stage": OptimisingStage(optimisers, retry_policy(settings))}


RouterFactory = Callable[[Any, KafkaBroker], KafkaRouter]
ROLE_WIRING: dict[str, tuple[RouterFactory, Callable[[Dynaconf], dict[str, Any]]]] = {
    "llm": (llm.build_router, llm_context),
    "rl": (rl.build_router, rl_context),
}


def build_worker_broker(settings: Dynaconf, roles: tuple[str, ...]) -> KafkaBroker:
    """A broker carrying the subscribers of `roles`, their domain objects in its context."""
    broker = make_broker(settings)
    broker.add_middleware(
        KafkaPrometheusMiddleware(registry=REGISTRY, app_name=f"worker-{'-'.join(roles)}")
    )
    for role in roles:
        if role not in ROLE_WIRING:
            raise StartupError(f"unknown worker role {role!r}: expected one of {', '.join(ROLES)}")
        build_router, build_context = ROLE_WIRING[role]
        broker.include_router(build_router(settings, broker))
        for name, value in build_context(settings).items():
            broker.context.set_global(name, value)
    return broker


def watched_queues(settings: Dynaconf, roles: tuple[str, ...]) -> list[tuple[str, str]]:
    """(consumer group, command topic) of each role, for `queue_size`."""
    return [(subscriber_options(settings, r)["group_id"], command_topic(r)) for r in roles]


async def run_worker(settings: Dynaconf, roles: tuple[str, ...], stop: asyncio.Event) -> None:
    """Consume the commands of `roles` until `stop`; `/metrics`, `/health` and `/ready`
    are served on the first role's metrics port meanwhile."""
    if not settings.kafka.bootstrap_servers:
        raise StartupError(
            "kafka.bootstrap_servers (KAFKA_BOOTSTRAP_SERVERS) not set: configure it, or run "
            "`fragrance-ai dev` to start an embedded broker"
        )
    metrics = metrics_settings(settings)
    servers = settings.kafka.bootstrap_servers
    broker = build_worker_broker(settings, roles)
    readiness = Readiness()
    readiness.add("broker", broker_check(broker, servers))
    # Listening first: a port in use fails before the worker joins its group.
    async with MetricsServer(readiness, metrics.host, metrics.port_for(roles[0])) as server:
        await create_topics(servers, topic_catalogue(settings))
        async with QueueSizeMonitor(servers, watched_queues(settings, roles), metrics.refresh_s):
            await broker.start()
            log.info("worker consuming", roles=list(roles), metrics_port=server.port)
            try:
                await stop.wait()
            finally:
                await broker.stop()
