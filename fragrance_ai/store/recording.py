"""An event, the job's move and the next command, recorded in one transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

import asyncpg

from fragrance_ai.store.events import append_event_on
from fragrance_ai.store.jobs import advance_on
from fragrance_ai.store.outbox import OutboxMessage, insert_outbox
from schemas.jobs import JobStatus

_COUNT_ATTEMPT = "UPDATE jobs SET attempts = attempts + 1 WHERE id = $1"


async def _has_ended(conn: asyncpg.Connection, job_id: UUID) -> bool:
    """Whether the job is in a terminal state; its row stays locked until the commit."""
    status = await conn.fetchval("SELECT status FROM jobs WHERE id = $1 FOR UPDATE", job_id)
    return status is not None and JobStatus(status).is_terminal


class RecordingQueries:
    _pool: asyncpg.Pool

    async def record_event(
        self,
        job_id: UUID,
        type: str,
        payload: dict[str, Any],
        dedup_key: str,
        to_status: JobStatus,
        fields: Mapping[str, Any],
        outbox_messages: Sequence[OutboxMessage] = (),
        *,
        counts_attempt: bool = False,
    ) -> int | None:
        """Store an event and, if it is new and the job may move to ``to_status``, move
        it and write the outbox messages that carry the job on; all or nothing. A new
        event that `counts_attempt` adds one to the job's attempts, moved or not (a
        retry starts the stage the job is in already).

        Returns the event's seq, or None for a duplicate or for a final event of a job
        that has ended already (then nothing changes), so a redelivered event never
        dispatches a second command and a job never has two final events.
        """
        async with self._pool.acquire() as conn, conn.transaction():
            if JobStatus(to_status).is_terminal and await _has_ended(conn, job_id):
                # A job ends once: a result that comes after the sweeper gave up on the
                # job, or after it was cancelled, is a late arrival and changes nothing.
                return None
            seq = await append_event_on(conn, job_id, type, payload, dedup_key)
            if seq is not None and counts_attempt:
                await conn.execute(_COUNT_ATTEMPT, job_id)
            if seq is not None and await advance_on(conn, job_id, to_status, fields):
                await insert_outbox(conn, outbox_messages)
            return seq
