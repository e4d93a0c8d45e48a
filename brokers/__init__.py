"""Kafka wiring: topic catalogue, broker factory and middlewares."""

from brokers.factory import make_broker, subscriber_options
from brokers.middlewares import JobContextMiddleware
from brokers.topics import (
    DEAD_LETTER_TOPIC,
    EVENTS_TOPIC,
    TopicSpec,
    command_topic,
    create_topics,
    topic_catalogue,
)

__all__ = [
    "DEAD_LETTER_TOPIC",
    "EVENTS_TOPIC",
    "JobContextMiddleware",
    "TopicSpec",
    "command_topic",
    "create_topics",
    "make_broker",
    "subscriber_options",
    "topic_catalogue",
]
