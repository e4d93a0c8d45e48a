"""Accepting a job: its row and its first command are committed together."""

from uuid import UUID, uuid4

from fragrance_ai.jobs.dispatch import outbox_message
from fragrance_ai.jobs.routing import Dispatch, first_dispatch, training_dispatch
from fragrance_ai.store import JobStore
from schemas.jobs import JobKind
from schemas.messages import FormulationOptions
from schemas.training import TrainingOptions


async def submit_formulation(
    store: JobStore, text: str, options: FormulationOptions, correlation_id: str
) -> UUID:
    job_id = uuid4()
    dispatch = first_dispatch(job_id, text, options)
    return await _submit(store, JobKind.FORMULATION, text, options, correlation_id, dispatch)


async def submit_training(store: JobStore, options: TrainingOptions, correlation_id: str) -> UUID:
    job_id = uuid4()
    options = options.model_copy(update={"run": options.run or f"run-{job_id.hex[:12]}"})
    description = f"training run {options.run}"
    dispatch = training_dispatch(job_id, options)
    return await _submit(store, JobKind.TRAINING, description, options, correlation_id, dispatch)


async def _submit(
    store: JobStore,
    kind: JobKind,
    text: str,
    options: FormulationOptions | TrainingOptions,
    correlation_id: str,
    dispatch: Dispatch,
) -> UUID:
    return await store.create_job(
        kind,
        text,
        options,
        correlation_id,
        [outbox_message(dispatch, correlation_id)],
        job_id=dispatch.command.job_id,
    )
