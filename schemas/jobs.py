"""Jobs as the API shows them, and the one table of status moves a job may make."""

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class JobKind(StrEnum):
    FORMULATION = "formulation"
    TRAINING = "training"


class JobStatus(StrEnum):
    """queued -> interpreting -> optimising -> succeeded | failed | cancelled."""

    QUEUED = "queued"
    INTERPRETING = "interpreting"
    OPTIMISING = "optimising"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return not ALLOWED_MOVES[self]


_ENDINGS = frozenset({JobStatus.FAILED, JobStatus.CANCELLED})

# Every move goes forward; a training job skips interpreting; a job can fail or be
# cancelled from any unfinished state; terminal states have no way out.
ALLOWED_MOVES: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.QUEUED: frozenset({JobStatus.INTERPRETING, JobStatus.OPTIMISING}) | _ENDINGS,
    JobStatus.INTERPRETING: frozenset({JobStatus.OPTIMISING}) | _ENDINGS,
    JobStatus.OPTIMISING: frozenset({JobStatus.SUCCEEDED}) | _ENDINGS,
    JobStatus.SUCCEEDED: frozenset(),
    JobStatus.FAILED: frozenset(),
    JobStatus.CANCELLED: frozenset(),
}

UNFINISHED = tuple(status for status in JobStatus if not status.is_terminal)


def can_move(current: JobStatus, target: JobStatus) -> bool:
    """Whether a job in ``current`` may move to ``target`` (never to itself)."""
    return target in ALLOWED_MOVES[current]


def sources_of(target: JobStatus) -> tuple[JobStatus, ...]:
    """The states from which a job may move to ``target``."""
    return tuple(status for status in JobStatus if can_move(status, target))


class StageTiming(BaseModel):
    model_config = ConfigDict(frozen=True)

    started_at: datetime | None = Field(default=None, description="When the stage began")
    finished_at: datetime | None = Field(default=None, description="When the stage ended")

    @property
    def seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class JobView(BaseModel):
    """One job as ``GET /v1/jobs/{id}`` shows it."""

    model_config = ConfigDict(frozen=True)

    id: UUID = Field(description="The job id")
    kind: JobKind = Field(description="What the job does")
    status: JobStatus = Field(description="Where the job is in its life")
    created_at: datetime = Field(description="When the job was accepted")
    updated_at: datetime = Field(description="When the job last changed")
    finished_at: datetime | None = Field(
        default=None, description="When the job reached a terminal state"
    )
    interpreting: StageTiming = Field(
        default_factory=StageTiming, description="Timing of the brief interpretation stage"
    )
    optimising: StageTiming = Field(
        default_factory=StageTiming, description="Timing of the formula optimisation stage"
    )
    brief_text: str = Field(description="The brief as the perfumer wrote it")
    options: dict[str, Any] = Field(default_factory=dict, description="Options sent with the job")
    brief: dict[str, Any] | None = Field(
        default=None, description="The interpreted brief, once the LLM stage is done"
    )
    formula: dict[str, Any] | None = Field(
        default=None, description="The optimised formula, once the job has succeeded"
    )
    result: dict[str, Any] | None = Field(
        default=None, description="What a training run produced, once it has finished"
    )
    error: str | None = Field(default=None, description="Why the job failed, if it did")
    attempts: int = Field(default=0, ge=0, description="Processing attempts made so far")
    correlation_id: str | None = Field(
        default=None, description="Correlation id of the request that created the job"
    )


class JobEvent(BaseModel):
    """One stored event of a job, as the SSE stream sends it (``id`` is ``seq``)."""

    model_config = ConfigDict(frozen=True)

    job_id: UUID = Field(description="The job the event belongs to")
    seq: int = Field(ge=1, description="Position of the event in its job, from 1, no gaps")
    type: str = Field(
        description="What happened, in the past tense", examples=["brief_interpreted"]
    )
    payload: dict[str, Any] = Field(default_factory=dict, description="The event's data")
    created_at: datetime = Field(description="When the event was stored")


class JobSummary(BaseModel):
    """One line of ``GET /v1/jobs``: what a list shows, without the brief and formula."""

    model_config = ConfigDict(frozen=True)

    id: UUID = Field(description="The job id")
    kind: JobKind = Field(description="What the job does")
    status: JobStatus = Field(description="Where the job is in its life")
    created_at: datetime = Field(description="When the job was accepted")
    finished_at: datetime | None = Field(default=None, description="When the job ended")
    brief_text: str = Field(description="The brief as the perfumer wrote it")
    error: str | None = Field(default=None, description="Why the job failed, if it did")

    @classmethod
    def of(cls, job: JobView) -> "JobSummary":
        return cls.model_validate(job.model_dump(include=set(cls.model_fields)))


class JobList(BaseModel):
    """``GET /v1/jobs``: the tenant's newest jobs first."""

    jobs: list[JobSummary]
