"""`fragrance-ai worker llm|rl`: one FastStream consumer group member of a role."""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import structlog
from dynaconf import Dynaconf
from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import REGISTRY

from brokers.factory import make_broker, subscriber_options
from brokers.topics import EVENTS_TOPIC, command_topic, create_topics, topic_catalogue
from fragrance_ai.http.readiness import Readiness
from fragrance_ai.http.resources import broker_check, database_check
from fragrance_ai.jobs.retry import RetryPolicy
from fragrance_ai.metrics.queue_size import QueueSizeMonitor
from fragrance_ai.metrics.server import MetricsServer
from fragrance_ai.metrics.settings import metrics_settings
from fragrance_ai.programs.lifecycle import StartupError
from fragrance_ai.store import JobStore, open_pool
from fragrance_ai.workers.interpreting import InterpretingStage, RuleBasedReader
from fragrance_ai.workers.optimisers import all_optimisers
from fragrance_ai.workers.optimising import OptimisingStage
from fragrance_ai.workers.training import TrainingRunner
from handlers import llm, rl, training
from handlers.publishing import worker_instance_id
from schemas.messages import Message

log = structlog.get_logger(__name__)

ROLES = ("llm", "rl", "training")


def retry_policy(settings: Dynaconf) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=int(settings.jobs.max_attempts), backoff_s=float(settings.jobs.retry_backoff_s)
    )


def llm_context(settings: Dynaconf) -> dict[str, Any]:
    return {"interpreting_stage": InterpretingStage(RuleBasedReader(), retry_policy(settings))}


def rl_context(settings: Dynaconf) -> dict[str, Any]:
    optimisers = all_optimisers(Path(settings.paths.checkpoint_dir))
    return {"optimising_stage": OptimisingStage(optimisers, retry_policy(settings))}


RouterFactory = Callable[[Any, KafkaBroker], KafkaRouter]
ROLE_WIRING: dict[str, tuple[RouterFactory, Callable[[Dynaconf], dict[str, Any]]]] = {
    "llm": (llm.build_router, llm_context),
    "rl": (rl.build_router, rl_context),
    "training": (training.build_router, lambda _settings: {}),
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
        async with (
            QueueSizeMonitor(servers, watched_queues(settings, roles), metrics.refresh_s),
            training_runner(settings, broker, roles) as runner,
        ):
            if runner is not None:
                readiness.add("database", database_check(runner.store))
            await broker.start()
            if runner is not None:
                runner.start()
            log.info("worker consuming", roles=list(roles), metrics_port=server.port)
            try:
                await stop.wait()
            finally:
                if runner is not None:
                    await runner.shutdown(float(settings.training.drain_s))
                await broker.stop()


@asynccontextmanager
async def training_runner(
    settings: Dynaconf, broker: KafkaBroker, roles: tuple[str, ...]
) -> AsyncIterator[TrainingRunner | None]:
    """The runner of long training runs, on the job store its leases live in."""
    if "training" not in roles:
        yield None
        return
    if not settings.database.url:
        raise StartupError(
            "database.url (DATABASE_URL) not set: training workers keep their leases in it"
        )
    pool = await open_pool(settings.database.url, max_size=4)

    async def publish(event: Message) -> None:
        await broker.publish(event, EVENTS_TOPIC, key=str(event.job_id).encode())

    runner = TrainingRunner(
        store=JobStore(pool),
        publish=publish,
        owner=worker_instance_id(settings),
        checkpoint_dir=Path(settings.paths.checkpoint_dir),
        tensorboard_dir=Path(settings.paths.tensorboard_dir),
        lease_ttl_s=float(settings.training.lease_ttl_s),
        sweep_s=float(settings.training.sweep_s),
    )
    broker.context.set_global("training_runner", runner)
    try:
        yield runner
    finally:
        await pool.close()
