"""Events from the workers land in PostgreSQL and move the job along its route."""

from dataclasses import dataclass

import structlog

from fragrance_ai.jobs.routing import dedup_key, outbox_message, transition
from fragrance_ai.store import JobStore
from schemas.jobs import JobKind
from schemas.messages import EventMessage, FormulationOptions

log = structlog.get_logger(__name__)


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
