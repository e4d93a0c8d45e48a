"""Idempotency-Key answers, kept 24 hours in the database so every API replica sees them.

A request's answer is stored with what it changed, in one transaction (a job and the
202 that announced it), so a retry after a lost reply finds either both or neither.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg

from fragrance_ai.store.errors import StoreError

KEEP_S = 24 * 3600

# A row older than KEEP_S is as good as absent: a new request may take its key.
_INSERT = """
INSERT INTO idempotency_keys (tenant, key, fingerprint, status, body, headers)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (tenant, key) DO UPDATE SET
    fingerprint = excluded.fingerprint, status = excluded.status, body = excluded.body,
    headers = excluded.headers, created_at = now()
WHERE idempotency_keys.created_at < now() - make_interval(secs => $7)
"""


@dataclass(frozen=True)
class KeptAnswer:
    """A request's key and fingerprint, and the answer it got."""

    tenant: str
    key: str
    fingerprint: str
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class IdempotencyKeyUsedError(StoreError):
    """Another request stored an answer under this key first."""

    def __init__(self, tenant: str, key: str):
        super().__init__(f"idempotency key {key!r} of tenant {tenant!r} is already used")
        self.tenant = tenant
        self.key = key


async def keep_answer_on(conn: asyncpg.Connection, answer: KeptAnswer) -> None:
    """Store ``answer`` inside the caller's transaction; IdempotencyKeyUsedError if its
    key already holds an answer younger than KEEP_S."""
    result = await conn.execute(
        _INSERT,
        answer.tenant,
        answer.key,
        answer.fingerprint,
        answer.status,
        answer.body,
        answer.headers,
        float(KEEP_S),
    )
    if result != "INSERT 0 1":
        raise IdempotencyKeyUsedError(answer.tenant, answer.key)


class IdempotencyQueries:
    _pool: asyncpg.Pool

    async def kept_answer(self, tenant: str, key: str) -> KeptAnswer | None:
        """The answer stored under ``key`` in the last KEEP_S seconds, if any."""
        row = await self._pool.fetchrow(
            "SELECT tenant, key, fingerprint, status, body, headers FROM idempotency_keys"
            " WHERE tenant = $1 AND key = $2 AND created_at >= now() - make_interval(secs => $3)",
            tenant,
            key,
            float(KEEP_S),
        )
        return KeptAnswer(**dict(row)) if row is not None else None

    async def keep_answer(self, answer: KeptAnswer) -> None:
        async with self._pool.acquire() as conn:
            await keep_answer_on(conn, answer)

    async def purge_idempotency_keys(self) -> int:
        """Delete answers older than KEEP_S; how many."""
        result = await self._pool.execute(
            "DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1)",
            float(KEEP_S),
        )
        return int(result.split()[-1])
