"""A pool on a PostgreSQL that restarts: what a query meets meanwhile is judged
transient, so a message caught by the restart is tried again rather than dead-lettered,
and the same pool works once the server is back."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest

from brokers.failures import is_transient
from fragrance_ai.embedded.postgres import EmbeddedPostgres
from fragrance_ai.store import open_pool

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


async def test_a_query_during_a_restart_fails_transiently_and_the_pool_recovers() -> None:
    # A server of its own: the session's is shared by every other test.
    with tempfile.TemporaryDirectory(prefix="fragrance-pg-restart-") as root:
        server = EmbeddedPostgres(Path(root) / "data")
        await asyncio.to_thread(server.start)
        try:
            pool = await open_pool(server.url, min_size=0, max_size=2)
            try:
                assert await pool.fetchval("SELECT 1") == 1
                await asyncio.to_thread(server.stop)  # the socket's file goes with it

                with pytest.raises(Exception) as down:
                    await pool.fetchval("SELECT 1")
                assert is_transient(down.value), repr(down.value)

                await asyncio.to_thread(server.start)
                assert await pool.fetchval("SELECT 1") == 1
            finally:
                await pool.close()
        finally:
            await asyncio.to_thread(server.stop)
