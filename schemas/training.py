"""Training runs: what a client asks for, and what a run reports while and after it runs;
the counts asked for are integers as JSON Schema has them (`JsonInt`)."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _a_number(value: Any) -> Any:
    if isinstance(value, bool | str | bytes):
        raise ValueError("Input should be a JSON integer, not a boolean or a string")
    return value


JsonInt = Annotated[int, BeforeValidator(_a_number)]
"""Integers as JSON Schema has them: 17 and 17.0 are integers, `true` and `"17"` are not
(pydantic's lax mode would take both; its strict mode would refuse 17.0). The Kafka
commands' seed (schemas.messages) is one too."""


class TrainingOptions(BaseModel):
    """Body of `POST /v1/training-runs` (every field has a default). JSON `true` or `"8"`
    is not a number."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    run: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
        description="Run name, the folder of its checkpoints and TensorBoard logs: set from"
        " the job id when the run is accepted; a request may not choose it",
        examples=["run-0c3f9e8a1b2d4c5e8f7a6b5c4d3e2f1a"],
        json_schema_extra={"readOnly": True},
    )
    total_timesteps: JsonInt = Field(
        default=262_144,
        ge=4_096,
        le=1_000_000_000,
        description="Environment steps of the run",
    )
    num_envs: JsonInt = Field(
        default=256, ge=8, le=8_192, description="Environments stepped together"
    )
    n_ingredients: JsonInt = Field(
        default=12,
        ge=4,
        le=24,
        description="Candidate materials per brief: the action size",
    )
    checkpoint_every: JsonInt = Field(
        default=5, ge=1, le=10_000, description="Iterations between checkpoints"
    )
    seed: JsonInt = Field(default=1, ge=0, le=2**32 - 1, description="Seed of every random draw")


class TrainingProgress(BaseModel):
    """One iteration's figures, as a progress callback receives them."""

    run: str = Field(description="Run name")
    iteration: int = Field(description="Iterations completed")
    num_iterations: int = Field(description="Iterations the run will make")
    global_step: int = Field(description="Environment steps so far")
    episodes: int = Field(description="Episodes completed so far")
    mean_return: float = Field(description="Mean objective gained per episode, last iteration")
    mean_objective: float = Field(description="Mean objective at episode end, last iteration")
    best_objective: float = Field(
        description="Best objective of any formula visited since the run started or resumed"
    )
    eval_objective: float | None = Field(
        default=None, description="Deterministic policy's mean objective on the evaluation briefs"
    )
    steps_per_second: float = Field(description="Environment steps per second, last iteration")
    entropy: float | None = Field(
        default=None, description="Mean entropy of the policy over the last update"
    )


class TrainingOutcome(BaseModel):
    run: str = Field(description="Run name")
    status: Literal["completed", "cancelled"] = Field(description="completed or cancelled")
    iterations: int = Field(description="Iterations completed in all")
    global_step: int = Field(description="Environment steps in all")
    resumed_from_step: int | None = Field(description="Global step of the checkpoint resumed")
    checkpoint: str = Field(description="Path of the last checkpoint written")
    policy: str | None = Field(description="Path of the trained policy, once completed")
    eval_objective: float | None = Field(description="Last evaluation's mean objective")
