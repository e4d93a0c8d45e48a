"""What every handler shares: events keyed by job_id, and the dead letter policy."""

import os
import socket
from typing import Any, Protocol

from faststream import BaseMiddleware
from faststream.kafka import KafkaBroker
from faststream.kafka.publisher.usecase import DefaultPublisher

from brokers.dead_letter import dead_letter_middleware, delivery_attempt
from fragrance_ai.jobs.retry import RetryPolicy
from schemas.messages import Message, StageStarted
from schemas.messages import Stage as StageName


def retry_policy(settings: Any) -> RetryPolicy:
    """`jobs.max_attempts`, `jobs.retry_backoff_s` and `jobs.retry_backoff_max_s`."""
    return RetryPolicy(
        max_attempts=int(settings.jobs.max_attempts),
        backoff_s=float(settings.jobs.retry_backoff_s),
        backoff_max_s=float(settings.jobs.retry_backoff_max_s),
    )


def failure_policy(
    settings: Any, broker: KafkaBroker, failing_stage: str | None = None
) -> list[type[BaseMiddleware]]:
    """Commands: bounded retries, then the dead letter topic and a failed job. Events
    (no `failing_stage`): the same retries, then redelivery, for an event dropped
    would leave its job where it stands."""
    policy = retry_policy(settings)
    return [
        dead_letter_middleware(
            broker,
            max_attempts=policy.max_attempts,
            delay_s=policy.delay_s,
            failing_stage=failing_stage,
            redeliver_when_exhausted=failing_stage is None,
        )
    ]


async def publish_event(to_events: DefaultPublisher, event: Message) -> None:
    await to_events.publish(event, key=str(event.job_id).encode())


class Stage(Protocol):
    async def run(self, command: Any) -> Message | None: ...


async def run_stage(
    to_events: DefaultPublisher, stage: Stage, name: StageName,
    worker: str, command: Message,
) -> None:  # fmt: skip
    """Announce the stage, run it, publish its result (none for a cancelled job)."""
    started = StageStarted(
        job_id=command.job_id, stage=name, worker=worker, attempt=delivery_attempt()
    )
    await publish_event(to_events, started)
    if (result := await stage.run(command)) is not None:
        await publish_event(to_events, result)


def worker_instance_id(settings: Any) -> str:
    """Names this worker process in `StageStarted` events: `workers.instance_id`
    (FRAGRANCE_WORKERS__INSTANCE_ID), else host and pid, which tell apart processes that
    share a host (or a container image's hostname)."""
    configured = settings.get("workers.instance_id")
    return str(configured) if configured else f"{socket.gethostname()}-{os.getpid()}"
