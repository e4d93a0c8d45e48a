"""The outbox relay on the real broker and database: one row the broker refuses for good
(a record too large) is set aside, its job fails, and the rows after it go out."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from brokers.factory import make_broker
from brokers.middlewares import JOB_ID_HEADER
from brokers.topics import TopicSpec, command_topic, create_topics
from fragrance_ai.config_loader import load_settings
from fragrance_ai.jobs.relay import OutboxRelay
from fragrance_ai.jobs.service import EventRecorder
from fragrance_ai.jobs.undeliverable import fail_its_job
from fragrance_ai.programs.api import outbox_send
from fragrance_ai.store import JobStore, OutboxMessage
from schemas.jobs import JobKind, JobStatus

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

# Above the producer's max_request_size (1 MiB), so the broker can never take it.
TOO_LARGE = b"x" * (2 * 1024 * 1024)


async def read(bootstrap: str, topic: str, count: int) -> list[bytes | None]:
    """The keys of the first `count` records of a one-partition topic."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, 0)])
        return [(await asyncio.wait_for(consumer.getone(), 30)).key for _ in range(count)]
    finally:
        await consumer.stop()


async def test_a_record_too_large_fails_its_job_and_holds_back_no_other_row(
    kafka_bootstrap: str, store: JobStore
) -> None:
    topic = f"test.outbox.{uuid.uuid4().hex[:8]}"
    await create_topics(kafka_bootstrap, [TopicSpec(name=topic, partitions=1)])
    job_id = uuid.uuid4()
    oversize = OutboxMessage(
        topic=command_topic("llm"),
        key=str(job_id),
        payload=TOO_LARGE,
        headers={JOB_ID_HEADER: str(job_id)},
    )
    await store.add_outbox([OutboxMessage(topic=topic, key="before", payload=b"{}")])
    await store.create_job(
        JobKind.FORMULATION, "a brief", outbox_messages=[oversize], tenant="t", job_id=job_id
    )
    await store.add_outbox(
        [OutboxMessage(topic=topic, key=f"after-{i}", payload=b"{}") for i in range(3)]
    )

    broker = make_broker(load_settings("testing"), kafka_bootstrap)
    await broker.start()
    try:
        relay = OutboxRelay(
            store,
            notifier=None,  # type: ignore[arg-type]
            send=outbox_send(broker),
            on_set_aside=fail_its_job(EventRecorder(store)),
        )
        assert await relay.relay_once() == 4
    finally:
        await broker.stop()

    assert await read(kafka_bootstrap, topic, 4) == [b"before", b"after-0", b"after-1", b"after-2"]
    assert (await store.outbox_backlog())[0] == 0
    [row] = await store.pool.fetch("SELECT * FROM outbox WHERE failed_at IS NOT NULL")
    assert row["key"] == str(job_id) and "MessageSizeTooLarge" in row["error"]
    job = await store.get_job(job_id)
    assert job.status is JobStatus.FAILED
    assert job.error == "interpreting: the job's command could not be delivered to the workers"
