"""The outbox relay against a store that records what it was told."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka.errors import (
    KafkaConnectionError,
    MessageSizeTooLargeError,
    NotLeaderForPartitionError,
)

from fragrance_ai.jobs.relay import OutboxRelay
from fragrance_ai.jobs.retry import RetryPolicy
from fragrance_ai.store import OutboxMessage, OutboxRecord, Refusal


class RecordingStore:
    def __init__(self, count: int, attempts: int = 0) -> None:
        now = datetime.now(UTC)
        self.rows = [
            OutboxRecord(
                id=i, topic="t", key=str(i), payload=b"{}", created_at=now, attempts=attempts
            )
            for i in range(1, count + 1)
        ]
        self.sent: list[int] = []
        self.released: list[int] = []
        self.refused: list[Refusal] = []

    async def claim_unsent(self, limit: int) -> list[OutboxRecord]:
        return self.rows[:limit]

    async def mark_sent(self, ids: list[int]) -> None:
        self.sent.extend(ids)

    async def release_claims(self, ids: list[int]) -> None:
        self.released.extend(ids)

    async def mark_refused(self, refusals: list[Refusal]) -> None:
        self.refused.extend(refusals)


def broker(refuse: dict[str, Exception], at_send: bool = False) -> tuple[list[str], Any]:
    """A `send` that acknowledges every key but those in `refuse`, whose acknowledgement
    fails (or whose send fails, `at_send`); and the keys in the order they were sent."""
    order: list[str] = []

    async def send(message: OutboxMessage) -> asyncio.Future[Any]:
        assert message.key is not None
        if at_send and message.key in refuse:
            raise refuse[message.key]
        order.append(message.key)
        ack: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if message.key in refuse:
            ack.set_exception(refuse[message.key])
        else:
            ack.set_result(None)
        return ack

    return order, send


def relay_on(store: RecordingStore, send: Any, **kwargs: Any) -> OutboxRelay:
    return OutboxRelay(store, notifier=None, send=send, **kwargs)  # type: ignore[arg-type]


async def test_a_batch_is_sent_in_order_and_marked_sent() -> None:
    store = RecordingStore(3)
    order, send = broker({})
    assert await relay_on(store, send).relay_once() == 3
    assert (order, store.sent, store.released, store.refused) == (
        ["1", "2", "3"],
        [1, 2, 3],
        [],
        [],
    )


async def test_a_record_too_large_is_set_aside_and_the_rows_after_it_go_out() -> None:
    store = RecordingStore(3)
    _, send = broker({"2": MessageSizeTooLargeError("too big")}, at_send=True)
    set_aside: list[tuple[int, str]] = []

    async def on_set_aside(message: OutboxRecord, error: str) -> None:
        set_aside.append((message.id, error))

    assert await relay_on(store, send, on_set_aside=on_set_aside).relay_once() == 2
    assert store.sent == [1, 3]
    [refusal] = store.refused
    assert (refusal.id, refusal.give_up) == (2, True)
    assert set_aside == [(2, refusal.error)] and "MessageSizeTooLargeError" in refusal.error


async def test_a_retriable_refusal_waits_while_the_others_go_out() -> None:
    store = RecordingStore(3)
    _, send = broker({"2": NotLeaderForPartitionError()})
    relay = relay_on(store, send, retry=RetryPolicy(3, 1.0, 10.0))
    assert await relay.relay_once() == 2
    [refusal] = store.refused
    assert (refusal.id, refusal.give_up) == (2, False)
    assert 0.5 <= refusal.retry_after_s <= 1.0


async def test_a_row_refused_to_the_bound_is_set_aside() -> None:
    store = RecordingStore(2, attempts=2)
    _, send = broker({"2": NotLeaderForPartitionError()})
    await relay_on(store, send, retry=RetryPolicy(3, 1.0, 10.0)).relay_once()
    assert [(r.id, r.give_up) for r in store.refused] == [(2, True)]


async def test_an_outage_gives_the_batch_back_uncounted_without_sending_the_rest() -> None:
    store = RecordingStore(3)
    order, send = broker({"1": KafkaConnectionError("unreachable")}, at_send=True)
    with pytest.raises(KafkaConnectionError):
        await relay_on(store, send).relay_once()
    assert (order, store.sent, store.released, store.refused) == ([], [], [1, 2, 3], [])
