"""What the sweeper asks of the store: stalled jobs, their re-drives, and retention."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple
from uuid import UUID

import asyncpg

from fragrance_ai.store.jobs import job_view
from fragrance_ai.store.outbox import OutboxMessage, insert_outbox
from schemas.jobs import UNFINISHED, JobView

# A job last moved when its row changed or its latest event arrived, whichever is later:
# an attempt's `stage_started` event shows a worker at it without moving the job.
_STALLED = """
SELECT j.* FROM jobs j
LEFT JOIN job_events e ON e.job_id = j.id AND e.seq = j.last_event_seq
WHERE j.status = ANY($1::text[]) AND j.kind = 'formulation'
  AND greatest(j.updated_at, e.created_at) < now() - make_interval(secs => $2)
ORDER BY j.updated_at
LIMIT $3
"""


class StalledJob(NamedTuple):
    job: JobView
    redrives: int
    """Times the sweeper has already sent its command again."""


class SweepQueries:
    _pool: asyncpg.Pool

    async def stalled_jobs(self, idle_s: float, limit: int = 100) -> list[StalledJob]:
        """Unfinished formulation jobs that have not moved for ``idle_s`` seconds, the
        longest idle first. Training runs are left to the training workers' own sweep,
        which takes over any run whose lease has lapsed."""
        rows = await self._pool.fetch(
            _STALLED, [status.value for status in UNFINISHED], idle_s, limit
        )
        return [StalledJob(job_view(row), int(row["redrives"])) for row in rows]

    async def redrive(self, job_id: UUID, messages: Sequence[OutboxMessage]) -> bool:
        """Count a re-drive of an unfinished job and write its command, in one transaction;
        the job counts as moved now, so it is not re-driven again before another idle spell.
        False when the job finished meanwhile."""
        async with self._pool.acquire() as conn, conn.transaction():
            moved = await conn.fetchval(
                "UPDATE jobs SET redrives = redrives + 1, updated_at = now()"
                " WHERE id = $1 AND status = ANY($2::text[]) RETURNING true",
                job_id,
                [status.value for status in UNFINISHED],
            )
            if moved:
                await insert_outbox(conn, messages)
            return bool(moved)

    async def purge_events(self, older_than_s: float) -> int:
        """Delete the events of jobs that finished more than ``older_than_s`` seconds ago.
        The job rows stay, and so does their event count: numbers are never reused."""
        result = await self._pool.execute(
            "DELETE FROM job_events e USING jobs j WHERE e.job_id = j.id"
            " AND j.finished_at < now() - make_interval(secs => $1)",
            older_than_s,
        )
        return int(result.split()[-1])

    async def stalled_count(self, idle_s: float) -> int:
        """How many jobs `stalled_jobs` would find, for the `jobs_stalled` gauge."""
        count = await self._pool.fetchval(
            f"SELECT count(*) FROM ({_STALLED}) AS stalled",
            [status.value for status in UNFINISHED],
            idle_s,
            None,
        )
        return int(count)
