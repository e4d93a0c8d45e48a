"""What a tenant or a key has used, counted in PostgreSQL so that every API replica
sees the same figures: requests per window, jobs in flight, open event streams."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from fragrance_ai.store.errors import StoreError
from schemas.jobs import UNFINISHED

# One row per key: a request in a new window starts its count again.
_COUNT_REQUEST = """
INSERT INTO rate_limit_windows AS w (key_id, window_start, used)
VALUES ($1, to_timestamp(floor(extract(epoch FROM clock_timestamp()) / $2) * $2), 1)
ON CONFLICT (key_id) DO UPDATE SET
    used = CASE WHEN w.window_start = excluded.window_start THEN w.used + 1 ELSE 1 END,
    window_start = excluded.window_start
RETURNING used,
    extract(epoch FROM window_start + make_interval(secs => $2) - clock_timestamp())
"""
_IN_FLIGHT = "SELECT count(*) FROM jobs WHERE tenant = $1 AND status = ANY($2)"
_LIVE_STREAMS = (
    "SELECT count(*) FROM leases WHERE starts_with(name, $1) AND expires_at >= clock_timestamp()"
)


@dataclass(frozen=True)
class WindowUse:
    used: int
    """Requests in the current window, this one included."""
    resets_in_s: float
    """Seconds until the window ends and the count starts again."""


class QuotaExceededError(StoreError):
    """A tenant is at one of its caps; nothing was stored."""

    def __init__(self, what: str, cap: int) -> None:
        super().__init__(f"this tenant has {cap} {what}, its cap; try again once one ends")
        self.what = what
        self.cap = cap


async def check_in_flight(conn: asyncpg.Connection, tenant: str, cap: int) -> None:
    """Inside the transaction that stores a new job: QuotaExceededError when ``tenant``
    already has ``cap`` unfinished jobs. The tenant's lock, held to the commit, makes
    the count and the insert one step for every replica."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('jobs-in-flight/' || $1))", tenant)
    unfinished = [status.value for status in UNFINISHED]
    if await conn.fetchval(_IN_FLIGHT, tenant, unfinished) >= cap:
        raise QuotaExceededError("jobs in flight", cap)


def stream_lease(tenant: str, stream_id: str) -> str:
    return f"event-stream/{tenant}/{stream_id}"


class QuotaQueries:
    _pool: asyncpg.Pool

    async def count_request(self, key_id: str, window_s: int) -> WindowUse:
        """Count one request of ``key_id`` in its current ``window_s``-second window."""
        used, resets_in_s = await self._pool.fetchrow(_COUNT_REQUEST, key_id, window_s)
        return WindowUse(int(used), max(0.0, float(resets_in_s)))

    async def open_event_stream(
        self, tenant: str, lease: str, owner: str, ttl_s: float, cap: int
    ) -> None:
        """Hold ``lease`` (a ``stream_lease`` of ``tenant``) for one open stream;
        QuotaExceededError when the tenant has ``cap`` open already. A stream whose API
        process died stops counting once its lease expires."""
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"streams/{tenant}")
            if await conn.fetchval(_LIVE_STREAMS, stream_lease(tenant, "")) >= cap:
                raise QuotaExceededError("open event streams", cap)
            await conn.execute(
                "INSERT INTO leases (name, owner, expires_at)"
                " VALUES ($1, $2, clock_timestamp() + make_interval(secs => $3))",
                lease,
                owner,
                ttl_s,
            )

    async def renew_leases(self, names: list[str], owner: str, ttl_s: float) -> None:
        await self._pool.execute(
            "UPDATE leases SET expires_at = clock_timestamp() + make_interval(secs => $3)"
            " WHERE name = ANY($1) AND owner = $2",
            names,
            owner,
            ttl_s,
        )
