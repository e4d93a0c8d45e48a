"""The Kafka wiring against the real embedded broker."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from faststream.kafka import KafkaMessage

from brokers import (
    EVENTS_TOPIC,
    TopicSpec,
    command_topic,
    create_topics,
    make_broker,
    subscriber_options,
    topic_catalogue,
)
from brokers.factory import BrokerConfigError
from fragrance_ai.config_loader import load_settings
from fragrance_ai.embedded.broker import EmbeddedBroker
from fragrance_ai.logs import current_job_context

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


def unique(name: str) -> str:
    return f"test.{name}.{uuid.uuid4().hex[:8]}"


async def partition_counts(bootstrap: str, names: list[str]) -> dict[str, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(names)
    finally:
        await admin.close()
    return {topic["topic"]: len(topic["partitions"]) for topic in described}


async def test_creating_topics_twice_is_harmless(kafka_bootstrap: str) -> None:
    spec = [
        TopicSpec(name=unique("commands"), partitions=12),
        TopicSpec(name=unique("dlq"), partitions=3),
    ]
    assert sorted(await create_topics(kafka_bootstrap, spec)) == sorted(t.name for t in spec)
    assert await create_topics(kafka_bootstrap, spec) == []
    counts = await partition_counts(kafka_bootstrap, [t.name for t in spec])
    assert counts == {t.name: t.partitions for t in spec}


async def test_the_catalogue_gives_command_topics_twelve_partitions(kafka_bootstrap: str) -> None:
    catalogue = topic_catalogue(load_settings("testing"))
    await create_topics(kafka_bootstrap, catalogue)
    counts = await partition_counts(kafka_bootstrap, [command_topic("llm"), EVENTS_TOPIC])
    assert counts == {command_topic("llm"): 12, EVENTS_TOPIC: 12}


async def read_one(bootstrap: str, topic: str) -> dict[str, bytes]:
    """Headers of the first record of a one-partition topic, read without a group."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, 0)])
        record = await asyncio.wait_for(consumer.getone(), 30)
    finally:
        await consumer.stop()
    return dict(record.headers)


async def test_round_trip_carries_headers_job_id_and_correlation_id(kafka_bootstrap: str) -> None:
    settings = load_settings("testing")
    inbox, outbox = unique("inbox"), unique("outbox")
    await create_topics(
        kafka_bootstrap, [TopicSpec(name=inbox, partitions=2), TopicSpec(name=outbox, partitions=1)]
    )
    broker = make_broker(settings, kafka_bootstrap)
    seen: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()

    @broker.subscriber(inbox, **subscriber_options(settings, unique("group")))
    async def on_inbox(body: dict[str, Any], msg: KafkaMessage) -> None:
        seen.set_result({"body": body, "headers": msg.headers, "context": current_job_context()})
        await broker.publish({"step": 2}, outbox)

    async with broker:
        await broker.start()
        await broker.publish(
            {"step": 1}, inbox, key=b"job-42", headers={"job_id": "job-42", "brief": "citrus"},
            correlation_id="corr-42",
        )  # fmt: skip
        received = await asyncio.wait_for(seen, 30)
    reply = await read_one(kafka_bootstrap, outbox)

    assert received["body"] == {"step": 1}
    assert received["headers"]["brief"] == "citrus"
    assert received["context"] == {"job_id": "job-42", "correlation_id": "corr-42"}
    # A message published while handling a job inherits both keys.
    assert reply["job_id"] == b"job-42"
    assert reply["correlation_id"] == b"corr-42"


async def assigned(consumers: list[AIOKafkaConsumer], partitions: int) -> None:
    """Poll until the group has given every partition to some member."""
    while True:
        for consumer in consumers:
            await consumer.getmany(timeout_ms=100)
        owned = [consumer.assignment() for consumer in consumers]
        if all(owned) and sum(len(parts) for parts in owned) == partitions:
            return


async def test_two_consumers_in_one_group_share_partitions(kafka_bootstrap: str) -> None:
    topic, group = unique("shared"), unique("group")
    await create_topics(kafka_bootstrap, [TopicSpec(name=topic, partitions=12)])
    consumers = [
        AIOKafkaConsumer(
            topic, bootstrap_servers=kafka_bootstrap, group_id=group, auto_offset_reset="earliest"
        )
        for _ in range(2)
    ]
    for consumer in consumers:
        await consumer.start()
    try:
        await asyncio.wait_for(assigned(consumers, 12), 45)
        parts = [{tp.partition for tp in consumer.assignment()} for consumer in consumers]
        assert parts[0].isdisjoint(parts[1])

        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
        await producer.start()
        try:
            for n in range(60):
                await producer.send(topic, b"job", key=f"job-{n}".encode())
            await producer.flush()
        finally:
            await producer.stop()

        keys: list[list[bytes]] = [[], []]
        async with asyncio.timeout(30):
            while sum(map(len, keys)) < 60:
                for index, consumer in enumerate(consumers):
                    batches = await consumer.getmany(timeout_ms=200)
                    keys[index] += [m.key for msgs in batches.values() for m in msgs if m.key]
    finally:
        for consumer in consumers:
            await consumer.stop()

    assert all(keys), "each member of the group received some messages"
    assert sorted(keys[0] + keys[1]) == sorted(f"job-{n}".encode() for n in range(60))


async def test_paused_broker_comes_back(private_broker: EmbeddedBroker) -> None:
    topic = unique("pause")
    await create_topics(private_broker.bootstrap_servers, [TopicSpec(name=topic, partitions=1)])
    producer = AIOKafkaProducer(
        bootstrap_servers=private_broker.bootstrap_servers, request_timeout_ms=20000
    )
    await producer.start()
    try:
        private_broker.pause()
        pending = asyncio.ensure_future(producer.send_and_wait(topic, b"while paused"))
        await asyncio.sleep(1)
        assert not pending.done()
        private_broker.resume()
        metadata = await asyncio.wait_for(pending, 20)
    finally:
        await producer.stop()
    assert metadata.offset == 0


def test_a_broker_needs_an_address() -> None:
    with pytest.raises(BrokerConfigError, match=r"kafka\.bootstrap_servers is empty"):
        make_broker(load_settings("testing"))


def test_unknown_worker_role_has_no_command_topic() -> None:
    with pytest.raises(ValueError, match="'gpu'"):
        command_topic("gpu")
