"""The FastStream Kafka broker, built from settings."""

from __future__ import annotations

import logging
from typing import Any

from faststream.kafka import KafkaBroker

from brokers.middlewares import JobContextMiddleware, correlation_id_from_context
from brokers.security import broker_security

# A plain stdlib logger: configure_logging renders it like every other line, where
# FastStream's default logger would install its own handler and format.
FASTSTREAM_LOGGER = logging.getLogger("faststream.kafka")


class BrokerConfigError(ValueError):
    """The settings do not say which Kafka cluster to use."""


def make_broker(settings: Any, bootstrap_servers: str | None = None) -> KafkaBroker:
    """A broker for ``settings.kafka``; ``bootstrap_servers`` overrides the configured one
    (``fragrance-ai dev`` passes the embedded broker's address)."""
    kafka = settings.kafka
    servers = bootstrap_servers or kafka.bootstrap_servers
    if not servers:
        raise BrokerConfigError(
            "kafka.bootstrap_servers is empty: set KAFKA_BOOTSTRAP_SERVERS, or start "
            "fragrance_ai.embedded.broker.EmbeddedBroker and pass its bootstrap_servers"
        )
    producer = kafka.producer
    return KafkaBroker(
        servers,
        client_id=kafka.client_id,
        acks=producer.acks,
        enable_idempotence=producer.enable_idempotence,
        linger_ms=producer.linger_ms,
        # Auto-created topics get the broker's partition count, not the catalogue's.
        allow_auto_create_topics=False,
        middlewares=[JobContextMiddleware],
        id_generator=correlation_id_from_context,
        logger=FASTSTREAM_LOGGER,
        # On stop, a handler in flight finishes (and publishes) before the consumer leaves.
        graceful_timeout=float(kafka.consumer.graceful_timeout_s),
        security=broker_security(kafka),
    )


def subscriber_options(settings: Any, role: str) -> dict[str, Any]:
    """Consumer-group options for one worker role: ``broker.subscriber(topic, **options)``."""
    consumer = settings.kafka.consumer
    return {
        "group_id": f"{consumer.group_prefix}.{role}",
        "auto_offset_reset": "earliest",
        "max_poll_interval_ms": int(consumer.max_poll_interval_ms),
        "session_timeout_ms": int(consumer.session_timeout_ms),
        "heartbeat_interval_ms": int(consumer.heartbeat_interval_ms),
        "fetch_max_wait_ms": int(consumer.fetch_max_wait_ms),
    }
