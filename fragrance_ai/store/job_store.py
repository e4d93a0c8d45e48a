"""``JobStore``: every query the system makes, over one asyncpg pool."""

from __future__ import annotations

import asyncpg

from fragrance_ai.store.api_keys import ApiKeyQueries
from fragrance_ai.store.cache import CacheQueries
from fragrance_ai.store.idempotency import IdempotencyQueries
from fragrance_ai.store.jobs import JobQueries
from fragrance_ai.store.leases import LeaseQueries
from fragrance_ai.store.notify import Notifier
from fragrance_ai.store.outbox import OutboxQueries
from fragrance_ai.store.policies import PolicyQueries
from fragrance_ai.store.quotas import QuotaQueries
from fragrance_ai.store.sweeping import SweepQueries


class JobStore(
    JobQueries,
    OutboxQueries,
    LeaseQueries,
    CacheQueries,
    ApiKeyQueries,
    IdempotencyQueries,
    PolicyQueries,
    QuotaQueries,
    SweepQueries,
):
    """Jobs, their events, the outbox, leases, the LLM cache, API keys, the
    Idempotency-Key answers, the promoted policy and the quotas' counts.

    The store does not own the pool: whoever opened it (``open_pool``) closes it.
    """

    def __init__(self, pool: asyncpg.Pool):
        self._pool = pool

    @property
    def pool(self) -> asyncpg.Pool:
        return self._pool

    def notifier(self, *channels: str) -> Notifier:
        """A ``Notifier`` on this store's pool for ``channels`` (by default those the API
        watches); start it (``async with``) before watching."""
        return Notifier(self._pool, channels) if channels else Notifier(self._pool)

    async def ping(self) -> bool:
        """Whether the database answers, for readiness checks."""
        try:
            return bool(await self._pool.fetchval("SELECT true", timeout=2.0))
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return False
