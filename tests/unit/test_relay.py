"""The outbox relay against a store that records what it was told."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from fragrance_ai.jobs.relay import OutboxRelay
from fragrance_ai.store import OutboxMessage, OutboxRecord


class RecordingStore:
    def __init__(self, count: int) -> None:
        now = datetime.now(UTC)
        self.rows = [
            OutboxRecord(id=i, topic="t", key=str(i), payload=b"{}", created_at=now)
            for i in range(1, count + 1)
        ]
        self.sent: list[int] = []
        self.released: list[int] = []

    async def claim_unsent(self, limit: int) -> list[OutboxRecord]:
        return self.rows[:limit]

    async def mark_sent(self, ids: list[int]) -> None:
        self.sent.extend(ids)

    async def release_claims(self, ids: list[int]) -> None:
        self.released.extend(ids)


async def test_a_failed_publish_marks_what_went_and_gives_the_rest_back() -> None:
    store = RecordingStore(3)

    async def publish(message: OutboxMessage) -> None:
        if message.key == "2":
            raise ConnectionError("broker unreachable")

    relay = OutboxRelay(store, notifier=None, publish=publish)  # type: ignore[arg-type]
    with pytest.raises(ConnectionError):
        await relay.relay_once()
    assert (store.sent, store.released) == ([1], [2, 3])


async def test_a_batch_that_went_out_is_marked_sent_and_nothing_is_released() -> None:
    store = RecordingStore(2)
    published: list[Any] = []

    async def publish(message: OutboxMessage) -> None:
        published.append(message.key)

    relay = OutboxRelay(store, notifier=None, publish=publish)  # type: ignore[arg-type]
    assert await relay.relay_once() == 2
    assert (published, store.sent, store.released) == (["1", "2"], [1, 2], [])
