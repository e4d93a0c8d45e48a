"""Which trained policy `optimizer=policy` serves: one row, replaced by each promotion."""

from __future__ import annotations

from uuid import UUID

import asyncpg


class PolicyQueries:
    _pool: asyncpg.Pool

    async def promote_policy(self, job_id: UUID, run: str) -> None:
        """Serve the policy of training run ``run`` (job ``job_id``) from now on."""
        await self._pool.execute(
            "INSERT INTO promoted_policy (job_id, run) VALUES ($1, $2)"
            " ON CONFLICT (slot) DO UPDATE SET job_id = excluded.job_id, run = excluded.run,"
            " promoted_at = now()",
            job_id,
            run,
        )

    async def promoted_run(self) -> str | None:
        """The run whose policy is served; None before the first promotion."""
        run = await self._pool.fetchval("SELECT run FROM promoted_policy")
        return str(run) if run is not None else None
