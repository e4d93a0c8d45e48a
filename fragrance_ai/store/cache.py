"""A key-value cache with expiry, for results that are costly to compute (LLM output)."""

from __future__ import annotations

from typing import Any

import asyncpg


class CacheQueries:
    _pool: asyncpg.Pool

    async def cache_get(self, key: str) -> Any | None:
        """The value stored under ``key``, or None when absent or expired."""
        return await self._pool.fetchval(
            "SELECT value FROM llm_cache WHERE key = $1"
            " AND (expires_at IS NULL OR expires_at > clock_timestamp())",
            key,
        )

    async def cache_put(self, key: str, value: Any, ttl_s: float | None) -> None:
        """Store ``value`` (JSON-able) under ``key``; ``ttl_s=None`` never expires."""
        if value is None:
            raise ValueError(f"cache value for {key!r} is None; cache_get uses None for a miss")
        await self._pool.execute(
            "INSERT INTO llm_cache (key, value, expires_at) VALUES ($1, $2,"
            " clock_timestamp() + make_interval(secs => $3))"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
            " created_at = now(), expires_at = excluded.expires_at",
            key,
            value,
            ttl_s,
        )

    async def cache_purge_expired(self) -> int:
        """Delete expired entries; return how many."""
        result = await self._pool.execute(
            "DELETE FROM llm_cache WHERE expires_at <= clock_timestamp()"
        )
        return int(result.split()[-1])
