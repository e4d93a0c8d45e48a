"""The outbox relay: publishes what the job store committed, then marks it sent.

A row is marked sent only after the broker acknowledged it, so a crash or a broker
outage between the two leads to a second publish, never to a lost command; the
consumers are idempotent by job_id (DESIGN.md invariants 2 and 3).
"""

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass

import structlog

from fragrance_ai.store import OUTBOX_CHANNEL, JobStore, Notifier, OutboxMessage

log = structlog.get_logger(__name__)

Publish = Callable[[OutboxMessage], Awaitable[None]]


@dataclass
class OutboxRelay:
    store: JobStore
    notifier: Notifier
    publish: Publish
    batch_size: int = 100
    idle_poll_s: float = 0.5
    """How long to sleep when the outbox is empty and no NOTIFY woke the relay."""
    retry_s: float = 1.0
    """How long to wait after a failed publish before trying again."""
    _task: asyncio.Task[None] | None = None

    async def relay_once(self) -> int:
        """Publish one batch of unsent rows; the number published."""
        messages = await self.store.claim_unsent(self.batch_size)
        sent: list[int] = []
        try:
            for message in messages:
                await self.publish(message)
                sent.append(message.id)
        finally:
            if sent:
                await self.store.mark_sent(sent)
            # Given back at once, so the retry after an outage need not wait out the claim.
            if unsent := [m.id for m in messages[len(sent) :]]:
                await self.store.release_claims(unsent)
        return len(sent)

    async def run(self) -> None:
        async with self.notifier.watch(OUTBOX_CHANNEL) as wake:
            while True:
                try:
                    published = await self.relay_once()
                except Exception as exc:
                    log.warning("outbox relay cannot publish yet", error=str(exc))
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
