"""An event, the job's move and the next command, recorded in one statement.

One statement is one transaction and one round trip: the job row is locked first
(`FOR UPDATE`), so concurrent recordings for one job take consecutive numbers, and a
final event for a job that has ended already is skipped under that lock. Every later
part keys off the event actually inserted: a duplicate dedup key inserts nothing, and
then nothing else changes either. The NOTIFYs are sent on commit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from fragrance_ai.store.errors import JobNotFoundError
from fragrance_ai.store.events import JOB_EVENTS_CHANNEL
from fragrance_ai.store.jobs import ADVANCE_FIELDS, as_json, moved_columns
from fragrance_ai.store.outbox import OUTBOX_CHANNEL, OutboxMessage
from schemas.jobs import JobStatus, sources_of

_TERMINAL = [status.value for status in JobStatus if status.is_terminal]

# $1 job, $2-$4 the event (type, payload, dedup key), $5 the target status, $6 whether
# it is terminal, $7 the states it may be reached from, $8 terminal states, $9 whether
# the event counts an attempt, $10-$13 brief, formula, error, result, $14-$17 the outbox
# messages as parallel arrays (topic, key, payload, headers as JSON text).
# In UPDATE's SET a bare column is the locked row before the update.
_RECORD = f"""
WITH job AS (
    SELECT id AS job_id, status AS was, last_event_seq AS last_seq FROM jobs
    WHERE id = $1 FOR UPDATE
),
event AS (
    INSERT INTO job_events (job_id, seq, type, payload, dedup_key)
    SELECT job_id, last_seq + 1, $2, $3, $4 FROM job
    WHERE NOT ($6::boolean AND was = ANY($8::text[]))
    ON CONFLICT (job_id, dedup_key) DO NOTHING
    RETURNING seq
),
moved AS (
    UPDATE jobs SET
        last_event_seq = event.seq,
        attempts = jobs.attempts + CASE
            WHEN $9::boolean AND (job.was = ANY($7::text[]) OR job.was = $5::text) THEN 1
            ELSE 0
        END,
        {
    moved_columns(
        moves="job.was = ANY($7::text[])",
        target="$5::text",
        terminal="$6::boolean",
        brief="$10",
        formula="$11",
        error="$12",
        result="$13",
    )
}
    FROM job, event
    WHERE jobs.id = job.job_id
    RETURNING job.was = ANY($7::text[]) AS moved
),
sent AS (
    INSERT INTO outbox (topic, key, payload, headers)
    SELECT m.topic, m.key, m.payload, m.headers::jsonb
    FROM moved, unnest($14::text[], $15::text[], $16::bytea[], $17::text[])
        WITH ORDINALITY AS m(topic, key, payload, headers, n)
    WHERE moved.moved
    ORDER BY m.n
    RETURNING id
)
SELECT
    EXISTS (SELECT FROM job) AS found,
    (SELECT seq FROM event) AS seq,
    (SELECT pg_notify('{JOB_EVENTS_CHANNEL}', $1::text || ':' || seq) FROM event) AS told,
    (SELECT pg_notify('{OUTBOX_CHANNEL}', '') FROM moved
     WHERE moved AND cardinality($14::text[]) > 0) AS told_relay
"""


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
        event that `counts_attempt` adds one to the job's attempts when the job moves or
        is in ``to_status`` already (a retry starts the stage the job is in); a stage
        start that comes after the job has moved past that stage (a redelivered command)
        is recorded but is no attempt at the job.

        Returns the event's seq, or None for a duplicate or for a final event of a job
        that has ended already (then nothing changes), so a redelivered event never
        dispatches a second command and a job never has two final events.
        """
        unknown = set(fields) - ADVANCE_FIELDS
        if unknown:
            raise TypeError(f"advance() sets only {sorted(ADVANCE_FIELDS)}, not {sorted(unknown)}")
        target = JobStatus(to_status)
        row = await self._pool.fetchrow(
            _RECORD,
            job_id,
            type,
            payload,
            dedup_key,
            target.value,
            target.is_terminal,
            [status.value for status in sources_of(target)],
            _TERMINAL,
            counts_attempt,
            as_json(fields.get("brief")),
            as_json(fields.get("formula")),
            fields.get("error"),
            as_json(fields.get("result")),
            [m.topic for m in outbox_messages],
            [m.key for m in outbox_messages],
            [m.payload for m in outbox_messages],
            [orjson.dumps(m.headers).decode() for m in outbox_messages],
        )
        assert row is not None
        if not row["found"]:
            raise JobNotFoundError(job_id)
        return None if row["seq"] is None else int(row["seq"])
