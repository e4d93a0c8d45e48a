"""Kafka commands (imperative) and events (past tense), all keyed by `job_id`."""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Final, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from schemas.brief import Brief, Interpretation
from schemas.formula import Formula
from schemas.training import JsonInt, TrainingOptions, TrainingOutcome, TrainingProgress

Stage = Literal["interpreting", "optimising"]
"""A job's stages, each a worker role's: the names events and timings carry."""
INTERPRETING: Final[Stage] = "interpreting"
OPTIMISING: Final[Stage] = "optimising"


class Optimizer(StrEnum):
    """How the RL worker turns a brief into a formula."""

    REFERENCE = "reference"
    PPO = "ppo"
    GA = "ga"
    POLICY = "policy"


class FormulationOptions(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    optimizer: Optimizer = Field(
        default=Optimizer.REFERENCE, description="Optimiser used by the RL worker"
    )
    # JSON `false` is not the seed 0; bounded: a seed fits every RNG and int64.
    seed: JsonInt = Field(
        default=0, ge=0, le=2**32 - 1, description="Seed for stochastic optimisers"
    )


def _now() -> datetime:
    return datetime.now(UTC)


class Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    job_id: UUID = Field(description="The job this message belongs to")
    at: datetime = Field(default_factory=_now, description="When the message was made")


class InterpretBrief(Message):
    """Command to the LLM worker: turn brief text into a structured Brief."""

    text: str = Field(min_length=1, description="The perfumer's brief in plain words")
    options: FormulationOptions = Field(default_factory=FormulationOptions)


class OptimizeFormula(Message):
    """Command to the RL worker: turn a Brief into a Formula."""

    brief: Brief
    options: FormulationOptions = Field(default_factory=FormulationOptions)


class TrainPolicy(Message):
    """Command to the training workers: train (or resume) a goal-conditioned policy."""

    options: TrainingOptions = Field(default_factory=TrainingOptions)


class StageStarted(Message):
    """A worker began a stage of the job (a redelivered command repeats it harmlessly)."""

    type: Literal["stage_started"] = "stage_started"
    stage: Stage
    worker: str = Field(default="", description="Which worker process took the job")
    attempt: int = Field(
        default=1, ge=1, description="Which attempt of this worker at the command, 1 the first"
    )


class BriefInterpreted(Message):
    type: Literal["brief_interpreted"] = "brief_interpreted"
    interpretation: Interpretation
    details: dict[str, object] = Field(
        default_factory=dict, description="How the brief was read: sources, models, latencies"
    )


class FormulaOptimized(Message):
    type: Literal["formula_optimized"] = "formula_optimized"
    formula: Formula
    optimizer: Optimizer
    duration_s: float = Field(ge=0, description="Time spent optimising")


class JobFailed(Message):
    type: Literal["job_failed"] = "job_failed"
    stage: str = Field(description="The stage that failed: interpreting or optimising")
    reason: str = Field(
        description="What went wrong, in words a user can act on: no exception text, no paths"
    )
    detail: str = Field(
        default="", description="For operators (keys with `admin`): the error behind the reason"
    )


class TrainingProgressed(Message):
    type: Literal["training_progressed"] = "training_progressed"
    progress: TrainingProgress


class PolicyTrained(Message):
    type: Literal["policy_trained"] = "policy_trained"
    outcome: TrainingOutcome


class JobCancelled(Message):
    type: Literal["job_cancelled"] = "job_cancelled"
    reason: str = Field(default="cancelled on request", description="Why the job was cancelled")


EventMessage = Annotated[
    StageStarted
    | BriefInterpreted
    | FormulaOptimized
    | TrainingProgressed
    | PolicyTrained
    | JobFailed
    | JobCancelled,
    Field(discriminator="type"),
]
