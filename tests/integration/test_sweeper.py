"""The sweeper on a real PostgreSQL: a stalled job is sent on again, then failed; one
replica sweeps at a time; old rows are purged. And in the deployed shape: the API
process's sweeper finishes a job whose command was lost."""

from __future__ import annotations

import asyncio
import uuid

import aiohttp
import pytest

from fragrance_ai.jobs.sweeper import Sweeper, SweepPolicy, SweepReport
from fragrance_ai.store import JobStore, OutboxMessage, open_pool
from schemas.jobs import JobKind, JobStatus
from tests.integration.conftest import TENANT, Api, Launcher, append_event

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

POLICY = SweepPolicy(every_s=1.0, stalled_after_s=60.0, max_redrives=1, max_attempts=3)


async def idle_for(store: JobStore, job_id: uuid.UUID, seconds: float) -> None:
    """As if the job last moved `seconds` ago."""
    await store.pool.execute(
        "UPDATE jobs SET updated_at = now() - make_interval(secs => $2) WHERE id = $1",
        job_id,
        seconds,
    )


async def queued_job(store: JobStore) -> uuid.UUID:
    return await store.create_job(JobKind.FORMULATION, "a citrus cologne", tenant="t")


async def test_a_stalled_job_is_sent_on_again_then_failed(store: JobStore) -> None:
    job_id, fresh_id = await queued_job(store), await queued_job(store)
    sweeper = Sweeper(store, "api-1", POLICY)
    await idle_for(store, job_id, 120)

    assert await sweeper.sweep_once() == SweepReport(redriven=1, failed=0)
    [command] = await store.claim_unsent()
    assert (command.topic, command.key) == ("fragrance.commands.llm", str(job_id))
    # Sent on just now: not stalled again until another idle spell.
    assert await sweeper.sweep_once() == SweepReport()

    await idle_for(store, job_id, 120)
    assert await sweeper.sweep_once() == SweepReport(redriven=0, failed=1)
    job = await store.get_job(job_id)
    assert job.status is JobStatus.FAILED
    assert job.error == "interpreting: the job made no progress after being sent on again 1 times"
    assert (await store.get_job(fresh_id)).status is JobStatus.QUEUED


async def test_a_stalled_job_out_of_attempts_fails_at_once(store: JobStore) -> None:
    job_id = await queued_job(store)
    await store.pool.execute("UPDATE jobs SET attempts = 3 WHERE id = $1", job_id)
    await idle_for(store, job_id, 120)
    assert await Sweeper(store, "api-1", POLICY).sweep_once() == SweepReport(failed=1)
    assert "after 3 attempts" in ((await store.get_job(job_id)).error or "")


async def test_one_replica_sweeps_at_a_time_and_hands_over_when_it_stops(store: JobStore) -> None:
    first, second = Sweeper(store, "api-1", POLICY), Sweeper(store, "api-2", POLICY)
    assert await first.sweep_once() is not None
    assert await second.sweep_once() is None
    await first.stop()
    assert await second.sweep_once() is not None


async def test_retention_purges_old_outbox_rows_events_and_expired_cache(store: JobStore) -> None:
    job_id = await queued_job(store)
    await store.add_outbox([OutboxMessage(topic="t", key="k", payload=b"{}")] * 2)
    [old, recent] = await store.claim_unsent()
    await store.mark_sent([old.id, recent.id])
    await store.pool.execute(
        "UPDATE outbox SET sent_at = now() - interval '2 days' WHERE id = $1", old.id
    )
    await append_event(store, job_id, "stage_started", {}, "started")
    await store.pool.execute(
        "UPDATE jobs SET status = 'cancelled', finished_at = now() - interval '40 days'"
        " WHERE id = $1",
        job_id,
    )
    await store.cache_put("gone", {"v": 1}, ttl_s=0)
    await store.cache_put("kept", {"v": 2}, ttl_s=3600)
    for key, hours in (("day-old", 25), ("fresh", 1)):
        await store.pool.execute(
            "INSERT INTO idempotency_keys (tenant, key, fingerprint, status, body, created_at)"
            " VALUES ('acme', $1, 'f', 202, '', now() - make_interval(hours => $2))",
            key,
            hours,
        )
    policy = SweepPolicy(outbox_retention_s=86400, events_retention_s=30 * 86400)

    await Sweeper(store, "api-1", policy).purge()

    kept_keys = await store.pool.fetch("SELECT key FROM idempotency_keys")
    assert [row["key"] for row in kept_keys] == ["fresh"]

    assert [r["id"] for r in await store.pool.fetch("SELECT id FROM outbox")] == [recent.id]
    assert await store.events_since(job_id) == []
    assert (await store.get_job(job_id)).status is JobStatus.CANCELLED
    assert await store.cache_get("kept") == {"v": 2}
    assert await store.pool.fetchval("SELECT count(*) FROM llm_cache") == 1


async def test_the_api_process_sweeps_a_job_whose_command_was_lost_to_the_end(
    launch: Launcher, http: aiohttp.ClientSession
) -> None:
    url, *_ = await asyncio.gather(
        launch.api(FRAGRANCE_SWEEPER__EVERY_S="0.5", FRAGRANCE_SWEEPER__STALLED_AFTER_S="2"),
        launch.worker("llm", "llm-1"),
        launch.worker("rl", "rl-1"),
    )
    pool = await open_pool(launch.database_url, max_size=2)
    try:
        store = JobStore(pool)
        # Stored with no command in the outbox: as if the broker had lost it.
        job_id = await store.create_job(
            JobKind.FORMULATION, "a simple citrus cologne with 3 materials", tenant=TENANT
        )
        job = await Api(http, url).finished(job_id)
        redrives = await pool.fetchval("SELECT redrives FROM jobs WHERE id = $1", job_id)
    finally:
        await pool.close()
    assert job["status"] == "succeeded"
    assert redrives >= 1
