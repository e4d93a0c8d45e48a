"""A job's event feed on the real database: live events in order to the final one, and
the job's status read only when a read finds nothing new."""

import asyncio
from uuid import UUID

import pytest

from fragrance_ai.jobs.feed import JobEventFeed
from fragrance_ai.store import JobStore
from schemas.jobs import JobKind, JobStatus

pytestmark = pytest.mark.integration


async def new_job(store: JobStore) -> UUID:
    return await store.create_job(JobKind.FORMULATION, "a citrus cologne", tenant="acme")


async def test_a_feed_streams_live_events_to_the_final_one(store, job_reads):
    job_id = await new_job(store)
    async with store.notifier() as notifier:
        feed = JobEventFeed(store, notifier, poll_s=60.0)
        events = feed.follow(job_id, seen_unfinished=True)
        first = asyncio.create_task(anext(events))
        await store.record_event(job_id, "stage_started", {}, "s", JobStatus.INTERPRETING, {})
        assert (await asyncio.wait_for(first, 5.0)).type == "stage_started"
        # The caller had read the job unfinished: the first, empty read looked no further.
        assert job_reads.calls == 0

        await store.record_event(job_id, "job_cancelled", {}, "c", JobStatus.CANCELLED, {})
        assert (await asyncio.wait_for(anext(events), 5.0)).type == "job_cancelled"
        with pytest.raises(StopAsyncIteration):
            await asyncio.wait_for(anext(events), 5.0)


async def test_a_feed_of_an_ended_job_with_nothing_after_the_given_event_ends_at_once(store):
    job_id = await new_job(store)
    await store.record_event(job_id, "job_cancelled", {}, "c", JobStatus.CANCELLED, {})
    async with store.notifier() as notifier:
        feed = JobEventFeed(store, notifier, poll_s=60.0)
        assert [event async for event in feed.follow(job_id, after_seq=1)] == []
