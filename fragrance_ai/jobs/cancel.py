"""Cancelling a job: recorded like any event, so the route and the stream see it."""

from uuid import UUID

from fragrance_ai.jobs.recorder import EventRecorder
from fragrance_ai.store import JobStore
from schemas.jobs import JobView
from schemas.messages import JobCancelled


class JobAlreadyFinishedError(RuntimeError):
    def __init__(self, job: JobView) -> None:
        super().__init__(f"job {job.id} has already {job.status.value}; nothing to cancel")
        self.job = job


async def cancel_job(
    store: JobStore, job_id: UUID, reason: str, *, tenant: str | None = None
) -> JobView:
    """Move the job to cancelled; a worker running it stops at its next iteration.
    With ``tenant``, another tenant's job is not found."""
    job = await store.get_job(job_id, tenant=tenant)
    if job.status.is_terminal:
        raise JobAlreadyFinishedError(job)
    await EventRecorder(store).record(JobCancelled(job_id=job_id, reason=reason))
    return await store.get_job(job_id, tenant=tenant)
