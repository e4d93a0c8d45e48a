"""Job events: numbered 1, 2, 3 ... per job, stored once per dedup key, announced by NOTIFY."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from fragrance_ai.store.errors import JobNotFoundError
from schemas.jobs import JobEvent

JOB_EVENTS_CHANNEL = "job_events"


async def append_event_on(
    conn: asyncpg.Connection, job_id: UUID, type: str, payload: dict[str, Any], dedup_key: str
) -> int | None:
    """``EventQueries.append_event`` on ``conn``, inside the caller's transaction."""
    last_seq = await conn.fetchval(
        "SELECT last_event_seq FROM jobs WHERE id = $1 FOR UPDATE", job_id
    )
    if last_seq is None:
        raise JobNotFoundError(job_id)
    seq = await conn.fetchval(
        "INSERT INTO job_events (job_id, seq, type, payload, dedup_key)"
        " VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (job_id, dedup_key) DO NOTHING RETURNING seq",
        job_id,
        last_seq + 1,
        type,
        payload,
        dedup_key,
    )
    if seq is None:
        return None
    await conn.execute("UPDATE jobs SET last_event_seq = $2 WHERE id = $1", job_id, seq)
    await conn.execute("SELECT pg_notify($1, $2)", JOB_EVENTS_CHANNEL, f"{job_id}:{seq}")
    return int(seq)


class EventQueries:
    _pool: asyncpg.Pool

    async def append_event(
        self, job_id: UUID, type: str, payload: dict[str, Any], dedup_key: str
    ) -> int | None:
        """Store an event; return its ``seq``, or None when ``dedup_key`` was already used.

        The job row is locked while the next number is taken, so concurrent appends to
        one job get consecutive numbers and a duplicate never consumes one.
        """
        async with self._pool.acquire() as conn, conn.transaction():
            return await append_event_on(conn, job_id, type, payload, dedup_key)

    async def events_since(
        self, job_id: UUID, after_seq: int = 0, limit: int = 1000
    ) -> list[JobEvent]:
        """Events of a job numbered above ``after_seq``, in order (SSE ``Last-Event-ID``)."""
        rows = await self._pool.fetch(
            "SELECT job_id, seq, type, payload, created_at FROM job_events"
            " WHERE job_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            job_id,
            after_seq,
            limit,
        )
        return [JobEvent(**dict(row)) for row in rows]

    async def latest_event(self, job_id: UUID, type: str) -> JobEvent | None:
        """The job's most recent event of this type, if any."""
        row = await self._pool.fetchrow(
            "SELECT job_id, seq, type, payload, created_at FROM job_events"
            " WHERE job_id = $1 AND type = $2 ORDER BY seq DESC LIMIT 1",
            job_id,
            type,
        )
        return JobEvent(**dict(row)) if row is not None else None
