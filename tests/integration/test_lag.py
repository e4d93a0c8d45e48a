"""`fragrance-ai lag` against the real embedded broker: the numbers a group leaves behind."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from brokers import TopicSpec, create_topics
from fragrance_ai.cli import main
from fragrance_ai.metrics.lag import LagReader, totals

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]

PARTITIONS = 3
PRODUCED = 30
CONSUMED = 12


async def produce(bootstrap: str, topic: str, count: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for n in range(count):
            await producer.send_and_wait(topic, b"{}", partition=n % PARTITIONS)
    finally:
        await producer.stop()


async def consume_and_commit(bootstrap: str, topic: str, group: str, count: int) -> None:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=group,
        auto_offset_reset="earliest", enable_auto_commit=False,
    )  # fmt: skip
    await consumer.start()
    try:
        taken = 0
        while taken < count:
            batches = await consumer.getmany(timeout_ms=1000, max_records=count - taken)
            taken += sum(len(records) for records in batches.values())
        await consumer.commit()
    finally:
        await consumer.stop()


@pytest.fixture
async def half_read_topic(kafka_bootstrap: str) -> AsyncIterator[tuple[str, str]]:
    """A topic with PRODUCED records of which a group has committed CONSUMED."""
    topic, group = f"test.lag.{uuid.uuid4().hex[:8]}", f"test.group.{uuid.uuid4().hex[:8]}"
    await create_topics(kafka_bootstrap, [TopicSpec(name=topic, partitions=PARTITIONS)])
    await produce(kafka_bootstrap, topic, PRODUCED)
    await consume_and_commit(kafka_bootstrap, topic, group, CONSUMED)
    yield topic, group


async def test_reader_sums_to_what_was_left_unread(
    kafka_bootstrap: str, half_read_topic: tuple[str, str]
) -> None:
    topic, group = half_read_topic
    async with LagReader(kafka_bootstrap) as reader:
        rows = await reader.read([group], [topic])
        assert group in await reader.groups()
    assert [row.partition for row in rows] == list(range(PARTITIONS))
    assert all(row.end == PRODUCED // PARTITIONS for row in rows)
    assert totals(rows) == {(group, topic): PRODUCED - CONSUMED}


async def test_a_group_that_never_committed_lags_by_everything(
    kafka_bootstrap: str, half_read_topic: tuple[str, str]
) -> None:
    topic, _ = half_read_topic
    async with LagReader(kafka_bootstrap) as reader:
        rows = await reader.read(["test.group.never-joined"], [topic])
    assert totals(rows) == {("test.group.never-joined", topic): PRODUCED}


async def test_unnamed_groups_appear_only_on_topics_they_committed_to(
    kafka_bootstrap: str, half_read_topic: tuple[str, str]
) -> None:
    topic, group = half_read_topic
    async with LagReader(kafka_bootstrap) as reader:
        rows = await reader.read(topics=[topic])
    assert {row.group for row in rows} == {group}


def test_lag_command_prints_partitions_and_total(
    half_read_topic: tuple[str, str],
    kafka_bootstrap: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    topic, group = half_read_topic
    monkeypatch.setenv("APP_ENV", "testing")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)
    assert main(["lag", "--group", group, "--topic", topic]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["GROUP", "TOPIC", "PARTITION", "COMMITTED", "END", "LAG"]
    per_partition = [line.split() for line in lines[1 : 1 + PARTITIONS]]
    assert sum(int(cells[5]) for cells in per_partition) == PRODUCED - CONSUMED
    assert {cells[4] for cells in per_partition} == {str(PRODUCED // PARTITIONS)}
    assert lines[-1].split() == [group, topic, str(PRODUCED - CONSUMED)]


def test_lag_command_names_an_unreachable_broker(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("APP_ENV", "testing")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")
    assert main(["lag"]) == 1
    error = capsys.readouterr().err.strip()
    assert error.startswith("fragrance-ai: cannot reach the Kafka broker")
    assert "\n" not in error
