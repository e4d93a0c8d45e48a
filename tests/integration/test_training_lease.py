"""A training run's lease while its database restarts: the run goes on while the lease
it holds lasts, and stops before the lease can lapse, so that no other worker ever
trains it beside this one."""

from __future__ import annotations

import asyncio
import tempfile
import threading
from pathlib import Path

import asyncpg
import pytest

from fragrance_ai.embedded.postgres import EmbeddedPostgres
from fragrance_ai.store import JobStore, migrate, open_pool
from fragrance_ai.workers.training import TrainingRunner, lease_name
from schemas.jobs import JobKind
from schemas.messages import Message
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

TTL_S = 3.0


async def nowhere(_: Message) -> None:
    pass


async def test_a_run_whose_lease_cannot_be_renewed_stops_before_it_lapses() -> None:
    # A server of its own, since it is stopped: the session's is shared by other tests.
    with tempfile.TemporaryDirectory(prefix="fragrance-lease-") as root:
        server = EmbeddedPostgres(Path(root) / "data")
        await asyncio.to_thread(server.start)
        try:
            admin = await asyncpg.connect(server.url)
            await admin.execute("CREATE DATABASE lease")
            await admin.close()
            await migrate(server.url_for("lease"))
            pool = await open_pool(server.url_for("lease"), min_size=0, max_size=4)
            store = JobStore(pool)
            runner = TrainingRunner(store, nowhere, "w1", Path(root), None, lease_ttl_s=TTL_S)
            job_id = await store.create_job(JobKind.TRAINING, "training run", tenant="t")
            assert await store.acquire_lease(lease_name(job_id), "w1", TTL_S)
            stop = threading.Event()
            keeper = asyncio.create_task(runner._keep(job_id, stop))
            try:
                await asyncio.sleep(TTL_S)  # a few renewals with the database up
                assert not stop.is_set(), "the run was stopped while its lease was renewed"
                await asyncio.to_thread(server.stop)

                await wait_for(
                    lambda: asyncio.sleep(0, stop.is_set()), 4 * TTL_S,
                    "the run to stop once its lease could no longer be renewed",
                )  # fmt: skip
                assert not keeper.done() or keeper.exception() is None
            finally:
                keeper.cancel()
                await asyncio.gather(keeper, return_exceptions=True)
                pool.terminate()
        finally:
            await asyncio.to_thread(server.stop)
