"""Job rows and their events: a job is created with its outbox messages, read as
``JobView``, and moved forward only, by the events recorded with each move; its events are
numbered 1, 2, 3 ... per job, stored once per dedup key, announced by NOTIFY."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from pydantic import BaseModel

from fragrance_ai.store.errors import DuplicateJobError, JobNotFoundError
from fragrance_ai.store.idempotency import KeptAnswer, keep_answer_on
from fragrance_ai.store.outbox import OUTBOX_CHANNEL, OutboxMessage, outbox_columns
from fragrance_ai.store.quotas import check_in_flight
from schemas.jobs import UNFINISHED, JobEvent, JobKind, JobStatus, JobView, StageTiming, sources_of

MOVE_FIELDS = frozenset({"brief", "formula", "result", "error"})


def as_json(value: Any) -> Any:
    """A pydantic model as the JSON a jsonb column takes; anything else as it is."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return value


def job_view(row: asyncpg.Record) -> JobView:
    return JobView(
        id=row["id"],
        kind=row["kind"],
        status=row["status"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        finished_at=row["finished_at"],
        interpreting=StageTiming(
            started_at=row["interpreting_started_at"],
            finished_at=row["interpreting_finished_at"],
        ),
        optimising=StageTiming(
            started_at=row["optimising_started_at"], finished_at=row["optimising_finished_at"]
        ),
        brief_text=row["brief_text"],
        options=row["options"],
        brief=row["brief"],
        formula=row["formula"],
        error=row["error"],
        result=row["result"],
        attempts=row["attempts"],
        correlation_id=row["correlation_id"],
    )


JOB_EVENTS_CHANNEL = "job_events"
"""Announces each new event, ``job_id:seq`` the payload."""
JOB_ENDED_CHANNEL = "job_ended"
"""Announces a job reaching a terminal status, its id the payload: the database's own
trigger sends it (migration 0007), whatever statement ended the job."""

_TERMINAL = [status.value for status in JobStatus if status.is_terminal]

# An event, the job's move and the next command, recorded in one statement
# (`record_event`). One statement is one transaction and one round trip: the job row
# is locked first (`FOR UPDATE`), so concurrent recordings for one job take consecutive
# numbers, and a final event for a job that has ended already is skipped under that
# lock. Every later part keys off the event actually inserted: a duplicate dedup key
# inserts nothing, and then nothing else changes either. The NOTIFYs are sent on commit.
#
# $1 job, $2-$4 the event (type, payload, dedup key), $5 the target status, $6 whether
# it is terminal, $7 the states it may be reached from, $8 terminal states, $9 whether
# the event counts an attempt, $10-$13 brief, formula, error, result, $14-$17 the outbox
# messages as parallel arrays (topic, key, payload, headers as JSON text).
# A move stamps the stage it leaves finished and the stage it enters started. In
# UPDATE's SET a bare column is the locked row before the update: `status` is the
# state left.
_RECORD = f"""
WITH job AS (
    SELECT id AS job_id, status AS was, last_event_seq AS last_seq,
        status = ANY($7::text[]) AS moves
    FROM jobs WHERE id = $1 FOR UPDATE
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
            WHEN $9::boolean AND (job.moves OR job.was = $5::text) THEN 1
            ELSE 0
        END,
        status = CASE WHEN job.moves THEN $5::text ELSE status END,
        updated_at = CASE WHEN job.moves THEN now() ELSE updated_at END,
        interpreting_started_at = CASE WHEN job.moves AND $5::text = 'interpreting' THEN now()
                                       ELSE interpreting_started_at END,
        interpreting_finished_at = CASE WHEN job.moves AND status = 'interpreting' THEN now()
                                        ELSE interpreting_finished_at END,
        optimising_started_at = CASE WHEN job.moves AND $5::text = 'optimising' THEN now()
                                     ELSE optimising_started_at END,
        optimising_finished_at = CASE WHEN job.moves AND status = 'optimising' THEN now()
                                      ELSE optimising_finished_at END,
        finished_at = CASE WHEN job.moves AND $6::boolean THEN now() ELSE finished_at END,
        brief = CASE WHEN job.moves THEN COALESCE($10, brief) ELSE brief END,
        formula = CASE WHEN job.moves THEN COALESCE($11, formula) ELSE formula END,
        error = CASE WHEN job.moves THEN COALESCE($12, error) ELSE error END,
        result = CASE WHEN job.moves THEN COALESCE($13, result) ELSE result END
    FROM job, event
    WHERE jobs.id = job.job_id
    RETURNING job.moves AS moved
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


# A new job and the commands that start it, in one statement; the NOTIFY that wakes
# the relay, when there are commands, is sent on commit. $1-$6 the job, $7-$10 the
# outbox messages as parallel arrays (topic, key, payload, headers as JSON text).
_CREATE = f"""
WITH job AS (
    INSERT INTO jobs (id, kind, brief_text, options, correlation_id, tenant)
    VALUES ($1, $2, $3, $4, $5, $6)
    RETURNING id
),
sent AS (
    INSERT INTO outbox (topic, key, payload, headers)
    SELECT m.topic, m.key, m.payload, m.headers::jsonb
    FROM job, unnest($7::text[], $8::text[], $9::bytea[], $10::text[])
        WITH ORDINALITY AS m(topic, key, payload, headers, n)
    ORDER BY m.n
    RETURNING id
)
SELECT pg_notify('{OUTBOX_CHANNEL}', '') WHERE EXISTS (SELECT FROM sent)
"""


class JobQueries:
    _pool: asyncpg.Pool

    async def create_job(
        self,
        kind: JobKind,
        brief_text: str,
        options: Mapping[str, Any] | BaseModel | None = None,
        correlation_id: str | None = None,
        outbox_messages: Sequence[OutboxMessage] = (),
        *,
        tenant: str,
        job_id: UUID | None = None,
        answer: KeptAnswer | None = None,
        max_in_flight: int | None = None,
    ) -> UUID:
        """Store a queued job of ``tenant`` and its outbox messages in one transaction,
        with the ``answer`` to its Idempotency-Key if any (IdempotencyKeyUsedError, and
        nothing stored, when that key is taken).

        Pass ``job_id`` when the messages must name the job; otherwise one is made.
        With ``max_in_flight``, QuotaExceededError when the tenant has that many
        unfinished jobs already.
        """
        job_id = job_id or uuid4()
        async with self._pool.acquire() as conn, conn.transaction():
            if max_in_flight is not None:
                await check_in_flight(conn, tenant, max_in_flight)
            try:
                await conn.execute(
                    _CREATE,
                    job_id,
                    JobKind(kind).value,
                    brief_text,
                    as_json(options) or {},
                    correlation_id,
                    tenant,
                    *outbox_columns(outbox_messages),
                )
            except asyncpg.UniqueViolationError as exc:
                raise DuplicateJobError(job_id) from exc
            if answer is not None:
                await keep_answer_on(conn, answer)
        return job_id

    async def get_job(self, job_id: UUID, *, tenant: str | None = None) -> JobView:
        """The job; with ``tenant``, a job another tenant owns is not found either."""
        row = await self._pool.fetchrow(
            "SELECT * FROM jobs WHERE id = $1 AND ($2::text IS NULL OR tenant = $2)",
            job_id,
            tenant,
        )
        if row is None:
            raise JobNotFoundError(job_id)
        return job_view(row)

    async def recent_jobs(
        self, tenant: str, limit: int, kind: JobKind | None = None
    ) -> list[JobView]:
        """The tenant's ``limit`` newest jobs (of ``kind`` if given), newest first."""
        rows = await self._pool.fetch(
            "SELECT * FROM jobs WHERE tenant = $1 AND ($3::text IS NULL OR kind = $3)"
            " ORDER BY created_at DESC, id LIMIT $2",
            tenant,
            limit,
            kind.value if kind else None,
        )
        return [job_view(row) for row in rows]

    async def unfinished_jobs(self) -> list[JobView]:
        """Jobs not yet in a terminal state, oldest first, to drive again after a restart."""
        rows = await self._pool.fetch(
            "SELECT * FROM jobs WHERE status = ANY($1::text[]) ORDER BY created_at, id",
            [status.value for status in UNFINISHED],
        )
        return [job_view(row) for row in rows]

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
        unknown = set(fields) - MOVE_FIELDS
        if unknown:
            raise TypeError(f"a move sets only {sorted(MOVE_FIELDS)}, not {sorted(unknown)}")
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
            *outbox_columns(outbox_messages),
        )
        assert row is not None
        if not row["found"]:
            raise JobNotFoundError(job_id)
        return None if row["seq"] is None else int(row["seq"])

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
