"""Accepting a job: its row and its first command are committed together."""

from uuid import UUID, uuid4

from fragrance_ai.jobs.dispatch import outbox_message
from fragrance_ai.jobs.routing import first_dispatch
from fragrance_ai.store import JobStore
from schemas.jobs import JobKind
from schemas.messages import FormulationOptions


async def submit_formulation(
    store: JobStore, text: str, options: FormulationOptions, correlation_id: str
) -> UUID:
    job_id = uuid4()
    dispatch = first_dispatch(job_id, text, options)
    return await store.create_job(
        JobKind.FORMULATION,
        text,
        options,
        correlation_id,
        [outbox_message(dispatch, correlation_id)],
        job_id=job_id,
    )
