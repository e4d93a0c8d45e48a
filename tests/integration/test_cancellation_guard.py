"""The cancellation guard on the real database: a job's end stops its work at once,
and the job's other events do not make the guard look at the job again."""

import asyncio

import pytest

from fragrance_ai.store import JOB_ENDED_CHANNEL
from fragrance_ai.workers.guarded import CancellationGuard
from schemas.jobs import JobKind, JobStatus

pytestmark = pytest.mark.integration


async def test_work_runs_through_its_jobs_events_and_stops_when_the_job_is_cancelled(
    store, job_reads
):
    job_id = await store.create_job(JobKind.FORMULATION, "a citrus cologne", tenant="acme")
    never_done = asyncio.Event()
    async with store.notifier(JOB_ENDED_CHANNEL) as notifier:
        # A minute between looks: only the job's end can stop the work within the test.
        guard = CancellationGuard(store, notifier, poll_s=60.0)
        running = asyncio.create_task(guard.run(job_id, never_done.wait()))

        await store.record_event(
            job_id, "stage_started", {}, "started", JobStatus.INTERPRETING, {},
            counts_attempt=True,
        )  # fmt: skip
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(asyncio.shield(running), 0.5)
        assert job_reads.calls == 1  # the look before the work; the event woke nothing

        await store.record_event(job_id, "job_cancelled", {}, "cancelled", JobStatus.CANCELLED, {})
        assert await asyncio.wait_for(running, 5.0) is None
        assert job_reads.calls == 2


async def test_work_that_finishes_first_returns_its_result(store):
    job_id = await store.create_job(JobKind.FORMULATION, "a citrus cologne", tenant="acme")
    async with store.notifier(JOB_ENDED_CHANNEL) as notifier:
        guard = CancellationGuard(store, notifier, poll_s=60.0)
        assert await guard.run(job_id, asyncio.sleep(0, "formula")) == "formula"


async def test_work_for_a_job_cancelled_already_has_no_result(store):
    job_id = await store.create_job(JobKind.FORMULATION, "a citrus cologne", tenant="acme")
    await store.record_event(job_id, "job_cancelled", {}, "cancelled", JobStatus.CANCELLED, {})
    async with store.notifier(JOB_ENDED_CHANNEL) as notifier:
        guard = CancellationGuard(store, notifier)
        assert await guard.run(job_id, asyncio.sleep(0, "formula")) is None
