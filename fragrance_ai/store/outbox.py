"""The transactional outbox: Kafka messages written with the rows they announce.

A relay claims unsent rows, publishes them and marks them sent. A claim is a short
lease on the rows (``claimed_until``), taken with ``FOR UPDATE SKIP LOCKED`` so two
relays never claim the same row; a relay that dies before ``mark_sent`` only delays
its rows until the claim runs out, after which another relay sends them (at least
once: consumers are idempotent by ``job_id``). Rows come back in ``id`` order; run one
relay at a time (a lease) where strict per-key order across relays matters.

A row the broker refuses is not retried in place: it waits out a backoff
(``claimed_until`` again) while the rows after it go on, and once the refusal is
permanent, or has been repeated ``max_attempts`` times, it is set aside as failed
(``failed_at``, ``error``) and never claimed again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg
import orjson
from pydantic import BaseModel, ConfigDict, Field

OUTBOX_CHANNEL = "outbox"

_CLAIM = """
UPDATE outbox SET claimed_until = now() + make_interval(secs => $2)
WHERE id IN (
    SELECT id FROM outbox
    WHERE sent_at IS NULL AND failed_at IS NULL
      AND (claimed_until IS NULL OR claimed_until < now())
    ORDER BY id
    LIMIT $1
    FOR UPDATE SKIP LOCKED
)
RETURNING id, topic, key, payload, headers, created_at, attempts
"""

# A refused row: one more attempt, and either a wait before the next or, when
# $4 says so, set aside for good.
_REFUSED = """
UPDATE outbox SET attempts = attempts + 1, error = $2,
    claimed_until = now() + make_interval(secs => $3),
    failed_at = CASE WHEN $4::boolean THEN now() END
WHERE id = $1 AND sent_at IS NULL
"""


class OutboxMessage(BaseModel):
    """A Kafka message to publish once the transaction that wrote it commits."""

    model_config = ConfigDict(frozen=True)

    topic: str = Field(min_length=1, description="Kafka topic")
    key: str | None = Field(default=None, description="Message key, the job id as text")
    payload: bytes = Field(description="Message value exactly as it will be published")
    headers: dict[str, str] = Field(
        default_factory=dict, description="Kafka headers, e.g. the correlation id"
    )

    @classmethod
    def of(
        cls, topic: str, key: str | None, message: BaseModel, headers: dict[str, str] | None = None
    ) -> OutboxMessage:
        """An outbox message whose payload is ``message`` as JSON."""
        return cls(
            topic=topic, key=key, payload=message.model_dump_json().encode(), headers=headers or {}
        )


class OutboxRecord(OutboxMessage):
    """An outbox message as stored, with its id for ``mark_sent``."""

    id: int = Field(description="Outbox row id, increasing in insertion order")
    created_at: datetime = Field(description="When the message was written")
    attempts: int = Field(default=0, description="Refusals by the broker so far")


class Refusal(BaseModel):
    """The broker refused a row: why, how long until it is tried again, or whether it is
    set aside for good."""

    model_config = ConfigDict(frozen=True)

    id: int
    error: str
    retry_after_s: float = 0.0
    give_up: bool = False


def outbox_columns(
    messages: Sequence[OutboxMessage],
) -> tuple[list[str], list[str | None], list[bytes], list[str]]:
    """``messages`` as the parallel arrays a statement unnests into outbox rows: topics,
    keys, payloads, and headers as JSON text."""
    return (
        [m.topic for m in messages],
        [m.key for m in messages],
        [m.payload for m in messages],
        [orjson.dumps(m.headers).decode() for m in messages],
    )


async def insert_outbox(conn: asyncpg.Connection, messages: Sequence[OutboxMessage]) -> None:
    """Write ``messages`` on ``conn``, inside the caller's transaction."""
    if not messages:
        return
    await conn.executemany(
        "INSERT INTO outbox (topic, key, payload, headers) VALUES ($1, $2, $3, $4)",
        [(m.topic, m.key, m.payload, m.headers) for m in messages],
    )
    # Delivered on commit, so a relay that listens wakes only for rows it can see.
    await conn.execute("SELECT pg_notify($1, '')", OUTBOX_CHANNEL)


class OutboxQueries:
    _pool: asyncpg.Pool

    async def add_outbox(self, messages: Sequence[OutboxMessage]) -> None:
        """Write messages that belong to no other row."""
        async with self._pool.acquire() as conn, conn.transaction():
            await insert_outbox(conn, messages)

    async def claim_unsent(self, limit: int = 100, claim_s: float = 30.0) -> list[OutboxRecord]:
        """Claim up to ``limit`` unsent messages for ``claim_s`` seconds, oldest first."""
        rows = await self._pool.fetch(_CLAIM, limit, claim_s)
        return sorted((OutboxRecord(**dict(row)) for row in rows), key=lambda r: r.id)

    async def mark_sent(self, ids: Sequence[int]) -> None:
        await self._pool.execute(
            "UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])", list(ids)
        )

    async def release_claims(self, ids: Sequence[int]) -> None:
        """Give claimed messages back at once, e.g. when the broker refused them."""
        await self._pool.execute(
            "UPDATE outbox SET claimed_until = NULL WHERE id = ANY($1::bigint[]) AND sent_at IS NULL",
            list(ids),
        )

    async def mark_refused(self, refusals: Sequence[Refusal]) -> None:
        """Count a refusal of each row; it waits ``retry_after_s``, or fails for good."""
        await self._pool.executemany(
            _REFUSED, [(r.id, r.error[:2000], r.retry_after_s, r.give_up) for r in refusals]
        )

    async def outbox_backlog(self) -> tuple[int, float]:
        """Rows still to publish, and the age in seconds of the oldest (0 when none)."""
        row = await self._pool.fetchrow(
            "SELECT count(*) AS n,"
            " coalesce(extract(epoch FROM now() - min(created_at)), 0) AS age_s"
            " FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL"
        )
        return int(row["n"]), float(row["age_s"])

    async def failed_outbox_count(self) -> int:
        """Rows set aside because the broker would not take them."""
        count = await self._pool.fetchval("SELECT count(*) FROM outbox WHERE failed_at IS NOT NULL")
        return int(count)

    async def purge_outbox(self, older_than_s: float) -> int:
        """Delete rows sent, or set aside, more than ``older_than_s`` seconds ago."""
        result = await self._pool.execute(
            "DELETE FROM outbox WHERE coalesce(sent_at, failed_at)"
            " < now() - make_interval(secs => $1)",
            older_than_s,
        )
        return int(result.split()[-1])
