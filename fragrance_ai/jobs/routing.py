"""The route of a job, decided here and nowhere else (DESIGN.md invariant 4).

queued → (llm) interpreting → (rl) optimising → succeeded, or failed at any stage.
Workers only answer commands with events; this module turns each event into the
job's next status, the fields to record, and the next command, if any, and a command
into its outbox row: keyed by job_id, carrying the correlation id.
"""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from uuid import UUID

from brokers.middlewares import CORRELATION_ID_HEADER, JOB_ID_HEADER
from brokers.topics import command_topic
from fragrance_ai.store import OutboxMessage
from schemas import messages
from schemas.brief import Brief
from schemas.jobs import JobKind, JobStatus, JobView
from schemas.messages import (
    BriefInterpreted,
    EventMessage,
    FormulaOptimized,
    FormulationOptions,
    InterpretBrief,
    JobCancelled,
    JobFailed,
    Message,
    OptimizeFormula,
    PolicyTrained,
    StageStarted,
    TrainingProgressed,
    TrainPolicy,
)
from schemas.training import TrainingOptions


class WorkerRole(StrEnum):
    LLM = "llm"
    RL = "rl"
    TRAINING = "training"


@dataclass(frozen=True)
class Dispatch:
    """A command for the workers of one role."""

    role: WorkerRole
    command: Message


@dataclass(frozen=True)
class Transition:
    status: JobStatus
    fields: dict[str, Any] = field(default_factory=dict)
    dispatch: Dispatch | None = None
    counts_attempt: bool = False
    """A worker took up a stage: one more attempt at the job, the first included."""


def first_dispatch(job_id: UUID, text: str, options: FormulationOptions) -> Dispatch:
    return Dispatch(WorkerRole.LLM, InterpretBrief(job_id=job_id, text=text, options=options))


def training_dispatch(job_id: UUID, options: TrainingOptions) -> Dispatch:
    return Dispatch(WorkerRole.TRAINING, TrainPolicy(job_id=job_id, options=options))


def dedup_key(event: EventMessage) -> str:
    """Each stage answers once: a second event of the same kind is a duplicate. A stage
    taken up by another worker (a redelivery, a resumed run) is worth recording."""
    match event:
        case StageStarted(attempt=1):
            return f"{event.type}:{event.stage}:{event.worker}"
        case StageStarted():
            # A retry by the same worker after a transient failure is a new attempt.
            return f"{event.type}:{event.stage}:{event.worker}:{event.attempt}"
        case TrainingProgressed():
            return f"{event.type}:{event.progress.iteration}"
    return event.type


def transition(event: EventMessage, options: FormulationOptions) -> Transition:
    match event:
        case StageStarted(stage=messages.INTERPRETING):
            return Transition(JobStatus.INTERPRETING, counts_attempt=True)
        case StageStarted(stage=messages.OPTIMISING):
            return Transition(JobStatus.OPTIMISING, counts_attempt=True)
        case BriefInterpreted():
            brief = event.interpretation.brief
            return Transition(
                JobStatus.OPTIMISING,
                {"brief": brief.model_dump(mode="json")},
                Dispatch(
                    WorkerRole.RL,
                    OptimizeFormula(job_id=event.job_id, brief=brief, options=options),
                ),
            )
        case FormulaOptimized():
            return Transition(
                JobStatus.SUCCEEDED, {"formula": event.formula.model_dump(mode="json")}
            )
        case TrainingProgressed():
            return Transition(JobStatus.OPTIMISING)
        case PolicyTrained():
            return Transition(
                JobStatus.SUCCEEDED, {"result": event.outcome.model_dump(mode="json")}
            )
        case JobFailed():
            return Transition(JobStatus.FAILED, {"error": f"{event.stage}: {event.reason}"})
        case JobCancelled():
            return Transition(JobStatus.CANCELLED, {"error": f"cancelled: {event.reason}"})
    raise TypeError(f"no route for {type(event).__name__}")


def resume_dispatch(job: JobView) -> Dispatch:
    """The command that carries an unfinished job on from where it stands, for a restart
    whose broker lost what was in flight (a repeat is harmless: stages dedup)."""
    if job.kind is JobKind.TRAINING:
        return training_dispatch(job.id, TrainingOptions.model_validate(job.options))
    options = FormulationOptions.model_validate(job.options)
    if job.brief is not None:
        brief = Brief.model_validate(job.brief)
        return Dispatch(WorkerRole.RL, OptimizeFormula(job_id=job.id, brief=brief, options=options))
    return first_dispatch(job.id, job.brief_text, options)


def outbox_message(dispatch: Dispatch, correlation_id: str | None) -> OutboxMessage:
    job_id = str(dispatch.command.job_id)
    headers = {JOB_ID_HEADER: job_id}
    if correlation_id:
        headers[CORRELATION_ID_HEADER] = correlation_id
    return OutboxMessage.of(command_topic(dispatch.role), job_id, dispatch.command, headers)
