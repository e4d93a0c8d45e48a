"""The outbox relay: publishes what the job store committed, then marks it sent.

A row is marked sent only after the broker acknowledged it, so a crash or a broker
outage between the two leads to a second publish, never to a lost command; the
consumers are idempotent by job_id (DESIGN.md invariants 2 and 3).

A batch is handed to the producer row by row, in order, and the acknowledgements are
awaited together, so a batch costs one round trip, not one per row. A row the broker
refuses does not hold the others back: it waits out a backoff and is tried again, and
once the refusal is permanent (a record too large) or keeps coming back while other rows
go through, it is set aside as failed and its job is failed with the reason. A batch
that nothing of gets through is an outage, not the rows' fault: given back uncounted.
"""

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

import structlog

from brokers.failures import is_transient
from fragrance_ai.jobs.retry import RetryPolicy
from fragrance_ai.store import OUTBOX_CHANNEL, JobStore, Notifier, OutboxMessage, Refusal
from fragrance_ai.store.outbox import OutboxRecord

log = structlog.get_logger(__name__)

Send = Callable[[OutboxMessage], Awaitable["asyncio.Future[Any]"]]
"""Hands a message to the producer; returns its acknowledgement, to be awaited later."""
SetAside = Callable[[OutboxRecord, str], Awaitable[None]]
"""Told of each row given up on, with the reason."""


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


@dataclass
class Delivery:
    """What became of one batch."""

    sent: list[int] = field(default_factory=list)
    refused: dict[int, BaseException] = field(default_factory=dict)
    untried: list[int] = field(default_factory=list)
    """Not handed to the producer: an earlier row found the broker unreachable."""

    @property
    def is_outage(self) -> bool:
        return not self.sent and all(is_transient(e) for e in self.refused.values())


@dataclass
class OutboxRelay:
    store: JobStore
    notifier: Notifier
    send: Send
    batch_size: int = 100
    retry: RetryPolicy = field(default_factory=lambda: RetryPolicy(5, 1.0, 30.0))
    """Refusals of one row before it is set aside, and the waits between them."""
    on_set_aside: SetAside | None = None
    idle_poll_s: float = 0.5
    """How long to sleep when the outbox is empty and no NOTIFY woke the relay."""
    retry_s: float = 1.0
    """How long to wait after a batch the broker took nothing of."""
    _task: asyncio.Task[None] | None = None

    async def deliver(self, messages: list[OutboxRecord]) -> Delivery:
        delivery = Delivery()
        acks: dict[int, asyncio.Future[Any]] = {}
        for position, message in enumerate(messages):
            try:
                acks[message.id] = await self.send(message)
            except Exception as exc:
                delivery.refused[message.id] = exc
                if is_transient(exc):
                    # Each further send would wait out the same unreachable broker.
                    delivery.untried = [m.id for m in messages[position + 1 :]]
                    break
        results = await asyncio.gather(*acks.values(), return_exceptions=True)
        for message_id, result in zip(acks, results, strict=True):
            if isinstance(result, Exception):
                delivery.refused[message_id] = result
            else:
                delivery.sent.append(message_id)
        return delivery

    async def relay_once(self) -> int:
        """Publish one batch of unsent rows; the number published."""
        messages = await self.store.claim_unsent(self.batch_size)
        if not messages:
            return 0
        delivery = await self.deliver(messages)
        if delivery.sent:
            await self.store.mark_sent(delivery.sent)
        if delivery.is_outage and delivery.refused:
            # Given back at once, so the retry after an outage need not wait out the claim.
            await self.store.release_claims([m.id for m in messages])
            raise next(iter(delivery.refused.values()))
        if delivery.untried:
            await self.store.release_claims(delivery.untried)
        if delivery.refused:
            await self.refuse([m for m in messages if m.id in delivery.refused], delivery)
        return len(delivery.sent)

    async def refuse(self, messages: list[OutboxRecord], delivery: Delivery) -> None:
        refusals = []
        for message in messages:
            exc = delivery.refused[message.id]
            attempts = message.attempts + 1
            give_up = not is_transient(exc) or attempts >= self.retry.max_attempts
            refusals.append(
                Refusal(
                    id=message.id,
                    error=describe(exc),
                    retry_after_s=0.0 if give_up else self.retry.delay_s(attempts),
                    give_up=give_up,
                )
            )
        await self.store.mark_refused(refusals)
        for message, refusal in zip(messages, refusals, strict=True):
            log.warning(
                "outbox row set aside" if refusal.give_up else "outbox row refused, will retry",
                outbox_id=message.id, topic=message.topic, key=message.key,
                attempts=message.attempts + 1, error=refusal.error,
            )  # fmt: skip
            if refusal.give_up and self.on_set_aside is not None:
                await self.on_set_aside(message, refusal.error)

    async def run(self) -> None:
        async with self.notifier.watch(OUTBOX_CHANNEL) as wake:
            while True:
                try:
                    published = await self.relay_once()
                except Exception as exc:
                    log.warning("outbox relay cannot publish yet", error=describe(exc))
                    await asyncio.sleep(self.retry_s)
                    continue
                if published < self.batch_size:
                    await wake.wait(self.idle_poll_s)

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
