"""Wake-ups from PostgreSQL NOTIFY: one listening connection per process, many waiters.

Notifications carry ``"<key>:<rest>"`` (``job_events`` sends ``"<job_id>:<seq>"``;
``outbox`` sends an empty key). A waiter registers for a channel and key *before* it
reads the table, so a notification that arrives between its read and its wait is not
lost::

    async with notifier.watch(JOB_EVENTS_CHANNEL, str(job_id)) as wake:
        while True:
            wake.clear()
            for event in await store.events_since(job_id, last_seq):
                ...
            await wake.wait(timeout_s=15.0)

NOTIFY is a hint, not a queue: if the listening connection drops, waiters fall back to
their timeouts, so the read loop above keeps working, only slower.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from types import TracebackType
from typing import Self

import asyncpg

from fragrance_ai.store.jobs import JOB_EVENTS_CHANNEL
from fragrance_ai.store.outbox import OUTBOX_CHANNEL


class Wake:
    """A flag raised by each notification for one channel and key."""

    def __init__(self) -> None:
        self._flag = asyncio.Event()

    def notify(self) -> None:
        self._flag.set()

    def clear(self) -> None:
        """Forget the notifications so far. Called right before a read: that read sees
        what they announced (a notification arrives only after its commit), so it is
        not followed by a second, empty read for the same change."""
        self._flag.clear()

    async def wait(self, timeout_s: float) -> bool:
        """True when notified since the last wait, False after ``timeout_s`` of quiet."""
        try:
            await asyncio.wait_for(self._flag.wait(), timeout_s)
        except TimeoutError:
            return False
        self._flag.clear()
        return True


class Notifier:
    """LISTENs on ``channels`` with one connection taken from ``pool`` while started.

    Stop it before closing the pool: ``Pool.close()`` waits for that connection.
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        channels: Iterable[str] = (JOB_EVENTS_CHANNEL, OUTBOX_CHANNEL),
    ):
        self._pool = pool
        self._channels = tuple(channels)
        self._conn: asyncpg.pool.PoolConnectionProxy | None = None
        self._waiters: defaultdict[tuple[str, str], set[Wake]] = defaultdict(set)

    async def start(self) -> Self:
        self._conn = await self._pool.acquire()
        for channel in self._channels:
            await self._conn.add_listener(channel, self._on_notification)
        return self

    async def stop(self) -> None:
        if self._conn is None:
            return
        conn, self._conn = self._conn, None
        for channel in self._channels:
            with contextlib.suppress(asyncpg.InterfaceError, OSError):
                await conn.remove_listener(channel, self._on_notification)
        await self._pool.release(conn)

    @contextlib.asynccontextmanager
    async def watch(self, channel: str, key: str = "") -> AsyncIterator[Wake]:
        if channel not in self._channels:
            raise ValueError(f"not listening on {channel!r}; channels: {self._channels}")
        wake = Wake()
        waiters = self._waiters[(channel, key)]
        waiters.add(wake)
        try:
            yield wake
        finally:
            waiters.discard(wake)
            if not waiters:
                self._waiters.pop((channel, key), None)

    def _on_notification(self, _conn: object, _pid: int, channel: str, payload: str) -> None:
        key = payload.partition(":")[0]
        for wake in self._waiters.get((channel, key), ()):
            wake.notify()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
