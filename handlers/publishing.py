"""What every handler shares: events keyed by job_id, and the dead letter policy."""

import os
import socket
from typing import Any, Literal, Protocol

import asyncpg
from aiokafka.errors import KafkaError
from faststream import BaseMiddleware
from faststream.kafka import KafkaBroker
from faststream.kafka.publisher.usecase import DefaultPublisher

from brokers.dead_letter import dead_letter_middleware
from fragrance_ai.store import DatabaseUnavailableError
from schemas.messages import Message, StageStarted

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    KafkaError,
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    DatabaseUnavailableError,
)
"""Failures of a dependency, not of the message: redelivered after a backoff."""


def failure_policy(
    settings: Any, broker: KafkaBroker, failing_stage: str | None = None
) -> list[type[BaseMiddleware]]:
    return [
        dead_letter_middleware(
            broker,
            transient=TRANSIENT_ERRORS,
            backoff_s=float(settings.jobs.retry_backoff_s),
            failing_stage=failing_stage,
        )
    ]


async def publish_event(to_events: DefaultPublisher, event: Message) -> None:
    await to_events.publish(event, key=str(event.job_id).encode())


class Stage(Protocol):
    async def run(self, command: Any) -> Message | None: ...


async def run_stage(
    to_events: DefaultPublisher, stage: Stage, name: Literal["interpreting", "optimising"],
    worker: str, command: Message,
) -> None:  # fmt: skip
    """Announce the stage, run it, publish its result (none for a cancelled job)."""
    await publish_event(to_events, StageStarted(job_id=command.job_id, stage=name, worker=worker))
    if (result := await stage.run(command)) is not None:
        await publish_event(to_events, result)


def worker_instance_id(settings: Any) -> str:
    """Names this worker process in `StageStarted` events: `workers.instance_id`
    (FRAGRANCE_WORKERS__INSTANCE_ID), else host and pid, which tell apart processes that
    share a host (or a container image's hostname)."""
    configured = settings.get("workers.instance_id")
    return str(configured) if configured else f"{socket.gethostname()}-{os.getpid()}"
