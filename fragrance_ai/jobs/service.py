"""What the API does with jobs: accept one, record the workers' events that move it
along its route, and cancel one.

Accepting a job commits its row, its first command and the answer to its
Idempotency-Key together. An event lands in PostgreSQL with the job's move and the next
command in one statement. Cancelling is recorded like any event, so the route and the
stream see it.
"""

from dataclasses import dataclass
from uuid import UUID

import structlog

from fragrance_ai.jobs.routing import (
    Dispatch,
    dedup_key,
    first_dispatch,
    outbox_message,
    training_dispatch,
    transition,
)
from fragrance_ai.store import JobStore, KeptAnswer
from schemas.jobs import JobKind, JobView
from schemas.messages import EventMessage, FormulationOptions, JobCancelled
from schemas.training import TrainingOptions

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Submission:
    """Who submits a job and how to answer: the owner tenant, the request's correlation
    id, the job's id (made before, so the answer can name it) and the answer to keep
    under the request's Idempotency-Key, if it had one; `max_in_flight`, the tenant's cap
    on unfinished jobs (QuotaExceededError past it)."""

    tenant: str
    correlation_id: str
    job_id: UUID
    answer: KeptAnswer | None = None
    max_in_flight: int | None = None


async def submit_formulation(
    store: JobStore, text: str, options: FormulationOptions, submission: Submission
) -> UUID:
    dispatch = first_dispatch(submission.job_id, text, options)
    return await _submit(store, JobKind.FORMULATION, text, options, submission, dispatch)


async def submit_training(
    store: JobStore, options: TrainingOptions, submission: Submission
) -> UUID:
    """The run's folder is named by the job id: a client cannot choose it, so no run
    can write over another's checkpoints or policy."""
    options = options.model_copy(update={"run": f"run-{submission.job_id.hex}"})
    description = f"training run {options.run}"
    dispatch = training_dispatch(submission.job_id, options)
    return await _submit(store, JobKind.TRAINING, description, options, submission, dispatch)


async def _submit(
    store: JobStore,
    kind: JobKind,
    text: str,
    options: FormulationOptions | TrainingOptions,
    submission: Submission,
    dispatch: Dispatch,
) -> UUID:
    return await store.create_job(
        kind,
        text,
        options,
        submission.correlation_id,
        [outbox_message(dispatch, submission.correlation_id)],
        tenant=submission.tenant,
        job_id=dispatch.command.job_id,
        answer=submission.answer,
        max_in_flight=submission.max_in_flight,
    )


@dataclass
class EventRecorder:
    store: JobStore

    async def record(self, event: EventMessage) -> int | None:
        """Record one event; None when it was a duplicate or a late arrival (a no-op)."""
        step = transition(event, FormulationOptions())
        outbox = []
        if step.dispatch is not None:
            # The job's options and correlation id travel only in the next command, so
            # the job is read only for an event that dispatches one: reading it for
            # every event cost a query each.
            job = await self.store.get_job(event.job_id)
            options = (
                FormulationOptions.model_validate(job.options)
                if job.kind is JobKind.FORMULATION
                else FormulationOptions()
            )
            step = transition(event, options)
            if step.dispatch is not None:
                outbox = [outbox_message(step.dispatch, job.correlation_id)]
        seq = await self.store.record_event(
            event.job_id,
            event.type,
            event.model_dump(mode="json", exclude={"job_id", "type"}),
            dedup_key(event),
            step.status,
            step.fields,
            outbox,
            counts_attempt=step.counts_attempt,
        )
        log.info("event recorded" if seq else "duplicate event ignored", kind=event.type, seq=seq)
        return seq


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
