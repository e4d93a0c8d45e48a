"""Every topic the system uses, with its partition count, and idempotent creation.

Commands go to one topic per worker role, so each role scales by its own consumer
group; events and commands are keyed by ``job_id``, which keeps one job in order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import structlog
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code
from pydantic import BaseModel, ConfigDict, Field

log = structlog.get_logger(__name__)

COMMAND_ROLES = ("llm", "rl", "training")
# The command roles each `fragrance-ai worker <role>` consumes. The rl worker, the one
# every deployment runs, also takes the training runs: on a topic and consumer group of
# their own, so that a long run never holds up a formulation job's optimisation.
WORKER_ROLES: dict[str, tuple[str, ...]] = {
    "llm": ("llm",),
    "rl": ("rl", "training"),
    "training": ("training",),
}
EVENTS_TOPIC = "fragrance.events"
DEAD_LETTER_TOPIC = "fragrance.dead-letter"
# Every service's log records (brokers/log_shipping.py), for `fragrance-ai logs --follow`.
LOGS_TOPIC = "fragrance.logs"


class TopicSpec(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str = Field(description="Topic name, e.g. fragrance.commands.llm")
    partitions: int = Field(ge=1, description="Partition count; bounds a consumer group's size")
    replication_factor: int = Field(default=1, ge=1, description="Copies of each partition")


def command_topic(role: str) -> str:
    """The command topic of a worker role (``llm``, ``rl``, ``training``)."""
    if role not in COMMAND_ROLES:
        raise ValueError(
            f"unknown worker role {role!r}: expected one of {', '.join(COMMAND_ROLES)}"
        )
    return f"fragrance.commands.{role}"


def topic_catalogue(settings: Any) -> list[TopicSpec]:
    """All topics, sized from ``kafka.partitions`` and ``kafka.replication_factor``."""
    partitions = settings.kafka.partitions
    replication = int(settings.kafka.replication_factor)
    commands = [
        TopicSpec(
            name=command_topic(role), partitions=partitions.command, replication_factor=replication
        )
        for role in COMMAND_ROLES
    ]
    return [
        *commands,
        TopicSpec(name=EVENTS_TOPIC, partitions=partitions.events, replication_factor=replication),
        TopicSpec(
            name=DEAD_LETTER_TOPIC,
            partitions=partitions.dead_letter,
            replication_factor=replication,
        ),
        TopicSpec(name=LOGS_TOPIC, partitions=partitions.logs, replication_factor=replication),
    ]


async def create_topics(
    bootstrap_servers: str, spec: Iterable[TopicSpec], security: Mapping[str, Any] | None = None
) -> list[str]:
    """Create the topics that do not exist yet; returns the names created. ``security``:
    the clients' options of brokers.security.client_options.

    Safe to run from every process at start-up: a topic that exists already, or that
    another process creates at the same moment, is left as it is.
    """
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap_servers, client_id="fragrance-admin", **(security or {})
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [topic for topic in spec if topic.name not in existing]
        if not missing:
            return []
        response = await admin.create_topics(
            [NewTopic(t.name, t.partitions, t.replication_factor) for t in missing]
        )
    finally:
        await admin.close()
    created = [name for name, code in _topic_errors(response) if _created_or_exists(name, code)]
    log.info("topics_created", topics=created)
    return created


def _topic_errors(response: Any) -> list[tuple[str, int]]:
    return [(error[0], error[1]) for error in response.topic_errors]


def _created_or_exists(name: str, code: int) -> bool:
    """True when this call created the topic; False when it existed; raises otherwise."""
    if code == 0:
        return True
    error = for_code(code)
    if error is TopicAlreadyExistsError:
        return False
    raise RuntimeError(f"could not create topic {name!r}: {error.__name__} (code {code})")
