"""Named leases: one owner at a time for a long run, taken over only once expired."""

from __future__ import annotations

import asyncpg

_ACQUIRE = """
INSERT INTO leases (name, owner, expires_at)
VALUES ($1, $2, clock_timestamp() + make_interval(secs => $3))
ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
WHERE leases.owner = excluded.owner OR leases.expires_at < clock_timestamp()
RETURNING owner
"""


class LeaseQueries:
    _pool: asyncpg.Pool

    async def acquire_lease(self, name: str, owner: str, ttl_s: float) -> bool:
        """Take ``name`` for ``ttl_s`` seconds if free, expired, or already ours."""
        return await self._pool.fetchval(_ACQUIRE, name, owner, ttl_s) is not None

    async def renew_lease(self, name: str, owner: str, ttl_s: float) -> bool:
        """Extend a lease we still hold; False once someone else has taken it."""
        result = await self._pool.execute(
            "UPDATE leases SET expires_at = clock_timestamp() + make_interval(secs => $3)"
            " WHERE name = $1 AND owner = $2",
            name,
            owner,
            ttl_s,
        )
        return bool(result == "UPDATE 1")

    async def release_lease(self, name: str, owner: str) -> bool:
        result = await self._pool.execute(
            "DELETE FROM leases WHERE name = $1 AND owner = $2", name, owner
        )
        return bool(result == "DELETE 1")
