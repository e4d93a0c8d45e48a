"""Consumer lag: per group, topic and partition, the end offset minus the committed one.

Read with the Kafka admin API (the group's committed offsets) and a group-less consumer
(the partitions' first and end offsets). Partitions are asked for by name: some
Kafka-API brokers (Tansu) cannot answer "all offsets of a group". A partition the group
has never committed counts from its first offset, which is where a new member with
`auto_offset_reset="earliest"` would start.

`queue_size{group,topic}` is a worker role's lag, refreshed in the background.
"""

from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, Self

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import Gauge
from pydantic import BaseModel, ConfigDict, Field

from fragrance_ai.metrics.refresh import PeriodicRefresh

INTERNAL_TOPIC_PREFIX = "__"


class PartitionLag(BaseModel):
    model_config = ConfigDict(frozen=True)

    group: str = Field(description="Consumer group id")
    topic: str = Field(description="Topic the group reads")
    partition: int = Field(ge=0, description="Partition number")
    committed: int | None = Field(
        description="Next offset the group will read; None if never committed"
    )
    end: int = Field(ge=0, description="Offset the next produced record will get")
    lag: int = Field(ge=0, description="Records produced but not yet committed by the group")


class LagReader:
    """`async with LagReader(servers) as reader: await reader.read()`; one admin client
    and one consumer, kept open across reads."""

    def __init__(
        self,
        bootstrap_servers: str,
        request_timeout_ms: int = 10_000,
        security: Mapping[str, Any] | None = None,
    ) -> None:
        self._options: dict[str, Any] = {
            "bootstrap_servers": bootstrap_servers,
            "request_timeout_ms": request_timeout_ms,
            "client_id": "fragrance-lag",
            **(security or {}),
        }
        self._admin: AIOKafkaAdminClient | None = None
        self._offsets: AIOKafkaConsumer | None = None

    async def __aenter__(self) -> Self:
        # Built here, not in __init__: a client that was built but never closed
        # warns when collected, and a failed start must close what it built.
        admin = AIOKafkaAdminClient(**self._options)
        try:
            await admin.start()
            offsets = AIOKafkaConsumer(**self._options)
            try:
                await offsets.start()
            except BaseException:
                await offsets.stop()
                raise
        except BaseException:
            await admin.close()
            raise
        self._admin, self._offsets = admin, offsets
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        if self._offsets is not None:
            await self._offsets.stop()
        if self._admin is not None:
            await self._admin.close()
        self._admin = self._offsets = None

    @property
    def _clients(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        if self._admin is None or self._offsets is None:
            raise RuntimeError("LagReader is used outside `async with`")
        return self._admin, self._offsets

    async def groups(self) -> list[str]:
        return sorted({str(entry[0]) for entry in await self._clients[0].list_consumer_groups()})

    async def read(
        self, groups: Sequence[str] | None = None, topics: Sequence[str] | None = None
    ) -> list[PartitionLag]:
        """Lag of `groups` (default: every group) on the topics each has committed to,
        among `topics` (default: all), sorted by group, topic and partition. When both
        are named, a group that never committed to a topic lags by all of it."""
        group_ids = list(groups) if groups is not None else await self.groups()
        partitions = await self._partitions(topics)
        if not partitions or not group_ids:
            return []
        first = await self._clients[1].beginning_offsets(partitions)
        end = await self._clients[1].end_offsets(partitions)
        rows: list[PartitionLag] = []
        for group in group_ids:
            committed = await self._committed(group, partitions)
            named = topics if groups is not None else None
            rows.extend(_group_lag(group, committed, first, end, named_topics=named))
        return sorted(rows, key=lambda r: (r.group, r.topic, r.partition))

    async def _partitions(self, topics: Sequence[str] | None) -> list[TopicPartition]:
        if topics is None:
            names = [t for t in await self._clients[0].list_topics() if not t.startswith("__")]
        else:
            names = list(topics)
        if not names:
            return []
        described = await self._clients[0].describe_topics(names)
        return [
            TopicPartition(topic["topic"], part["partition"])
            for topic in described
            if topic["error_code"] == 0
            for part in topic["partitions"]
        ]

    async def _committed(
        self, group: str, partitions: list[TopicPartition]
    ) -> dict[TopicPartition, int]:
        offsets = await self._clients[0].list_consumer_group_offsets(group, partitions=partitions)
        return {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}


def _group_lag(
    group: str,
    committed: dict[TopicPartition, int],
    first: dict[TopicPartition, int],
    end: dict[TopicPartition, int],
    named_topics: Sequence[str] | None,
) -> Iterable[PartitionLag]:
    """Rows for the topics the group committed to, and for `named_topics` in any case."""
    topics = {tp.topic for tp in committed} | set(named_topics or ())
    for tp in end:
        if tp.topic not in topics:
            continue
        offset = committed.get(tp)
        start = offset if offset is not None else first[tp]
        yield PartitionLag(
            group=group, topic=tp.topic, partition=tp.partition, committed=offset,
            end=end[tp], lag=max(end[tp] - start, 0),
        )  # fmt: skip


def totals(rows: Iterable[PartitionLag]) -> dict[tuple[str, str], int]:
    """Lag summed over partitions, per (group, topic)."""
    summed: dict[tuple[str, str], int] = {}
    for row in rows:
        summed[(row.group, row.topic)] = summed.get((row.group, row.topic), 0) + row.lag
    return summed


QUEUE_SIZE = Gauge(
    "queue_size",
    "Records waiting for a consumer group: end offsets minus committed offsets, summed over partitions",
    ["group", "topic"],
)


class QueueSizeMonitor:
    """Keeps `queue_size` current for `(group, topic)` pairs; `async with` starts it."""

    def __init__(
        self,
        bootstrap_servers: str,
        watched: list[tuple[str, str]],
        interval_s: float,
        security: Mapping[str, Any] | None = None,
    ) -> None:
        self._reader = LagReader(bootstrap_servers, security=security)
        self._watched = watched
        self._refresher = PeriodicRefresh("queue_size", self.refresh, interval_s)

    async def refresh(self) -> None:
        for group, topic in self._watched:
            rows = await self._reader.read(groups=[group], topics=[topic])
            QUEUE_SIZE.labels(group, topic).set(totals(rows).get((group, topic), 0))

    async def __aenter__(self) -> "QueueSizeMonitor":
        await self._reader.__aenter__()
        self._refresher.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._refresher.stop()
        await self._reader.__aexit__(None, None, None)
