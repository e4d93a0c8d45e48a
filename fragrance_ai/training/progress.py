"""What a training or optimisation run reports between iterations, and how it is logged."""

from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, Field
from torch.utils.tensorboard import SummaryWriter

from fragrance_ai.training.trainer import IterationStats


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


class RunCancelledError(RuntimeError):
    """A run was cancelled before it had anything to return."""


ProgressCallback = Callable[[TrainingProgress], None]
StopCheck = Callable[[], bool]
StopReason = Literal["completed", "budget", "plateau", "cancelled"]


def log_iteration(writer: SummaryWriter, stats: IterationStats, progress: TrainingProgress) -> None:
    """CleanRL's tags: charts/ for the run, losses/ for the update, eval/ for evaluation."""
    step = stats.global_step
    writer.add_scalar("charts/learning_rate", stats.learning_rate, step)
    writer.add_scalar("charts/entropy_coef", stats.ent_coef, step)
    writer.add_scalar("charts/episodic_return", stats.mean_return, step)
    writer.add_scalar("charts/objective", stats.mean_final_objective, step)
    writer.add_scalar("charts/best_objective", progress.best_objective, step)
    writer.add_scalar("charts/SPS", stats.steps_per_second, step)
    u = stats.update
    writer.add_scalar("losses/value_loss", u.v_loss, step)
    writer.add_scalar("losses/policy_loss", u.pg_loss, step)
    writer.add_scalar("losses/entropy", u.entropy_loss, step)
    writer.add_scalar("losses/old_approx_kl", u.old_approx_kl, step)
    writer.add_scalar("losses/approx_kl", u.approx_kl, step)
    writer.add_scalar("losses/clipfrac", u.clipfrac, step)
    writer.add_scalar("losses/explained_variance", u.explained_variance, step)
    if progress.eval_objective is not None:
        writer.add_scalar("eval/objective", progress.eval_objective, step)
