"""`fragrance-ai worker llm|rl`: one FastStream consumer group member of a role."""

import asyncio
from collections.abc import Callable
from typing import Any

import structlog
from dynaconf import Dynaconf
from faststream.kafka import KafkaBroker, KafkaRouter

from brokers.factory import make_broker
from brokers.topics import create_topics, topic_catalogue
from fragrance_ai.jobs.retry import RetryPolicy
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
    for role in roles:
        if role not in ROLE_WIRING:
            raise StartupError(f"unknown worker role {role!r}: expected one of {', '.join(ROLES)}")
        build_router, build_context = ROLE_WIRING[role]
        broker.include_router(build_router(settings, broker))
        for name, value in build_context(settings).items():
            broker.context.set_global(name, value)
    return broker


async def run_worker(settings: Dynaconf, roles: tuple[str, ...], stop: asyncio.Event) -> None:
    if not settings.kafka.bootstrap_servers:
        raise StartupError(
            "kafka.bootstrap_servers (KAFKA_BOOTSTRAP_SERVERS) not set: configure it, or run "
            "`fragrance-ai dev` to start an embedded broker"
        )
    broker = build_worker_broker(settings, roles)
    await create_topics(settings.kafka.bootstrap_servers, topic_catalogue(settings))
    await broker.start()
    log.info("worker consuming", roles=list(roles))
    try:
        await stop.wait()
    finally:
        await broker.stop()
