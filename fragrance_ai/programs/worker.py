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
from brokers.security import client_options
from brokers.topics import command_topic, create_topics, topic_catalogue
from fragrance_ai.metrics.lag import QueueSizeMonitor
from fragrance_ai.probes import Readiness, broker_check, database_check
from fragrance_ai.programs.lifecycle import StartupError
from fragrance_ai.programs.stopping import bounded, close_kafka_clients, unless_stopped
from fragrance_ai.programs.worker_metrics import MetricsServer, metrics_port
from fragrance_ai.programs.worker_resources import worker_resources
from handlers import llm, rl, training

log = structlog.get_logger(__name__)

RouterFactory = Callable[[Any, KafkaBroker], KafkaRouter]
ROUTERS: dict[str, RouterFactory] = {
    "llm": llm.build_router,
    "rl": rl.build_router,
    "training": training.build_router,
}
ROLES = tuple(ROUTERS)


def build_worker_broker(settings: Dynaconf, roles: tuple[str, ...]) -> KafkaBroker:
    """A broker carrying the subscribers of `roles`."""
    broker = make_broker(settings)
    broker.add_middleware(
        KafkaPrometheusMiddleware(registry=REGISTRY, app_name=f"worker-{'-'.join(roles)}")
    )
    for role in roles:
        if role not in ROUTERS:
            raise StartupError(f"unknown worker role {role!r}: expected one of {', '.join(ROLES)}")
        broker.include_router(ROUTERS[role](settings, broker))
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
    servers = settings.kafka.bootstrap_servers
    broker = build_worker_broker(settings, roles)
    readiness = Readiness()
    readiness.add("broker", broker_check(broker, servers))
    metrics = settings.metrics
    # Listening first: a port in use fails before the worker joins its group.
    async with MetricsServer(readiness, metrics.host, metrics_port(settings, roles[0])) as server:
        security = client_options(settings.kafka)
        await create_topics(servers, topic_catalogue(settings), security)
        async with (
            QueueSizeMonitor(
                servers, watched_queues(settings, roles), float(metrics.refresh_s), security
            ),
            worker_resources(settings, broker, roles) as resources,
        ):
            runner = resources.runner
            if resources.store is not None:
                readiness.add("database", database_check(resources.store))
            try:
                # Joining the consumer groups takes seconds; a stop meanwhile cuts it short.
                if await unless_stopped(broker.start(), stop):
                    if runner is not None:
                        runner.start()
                    log.info("worker consuming", roles=list(roles), metrics_port=server.port)
                    await stop.wait()
            finally:
                if runner is not None:
                    drain_s = float(settings.training.drain_s)
                    within_s = drain_s + float(settings.shutdown.step_s)
                    await bounded(runner.shutdown(drain_s), "draining the training runs", within_s)
                await close_kafka_clients(broker, settings, "worker")
