"""What a training or optimisation run reports between iterations, and how it is logged."""

from collections.abc import Callable
from typing import Literal

from torch.utils.tensorboard import SummaryWriter

from fragrance_ai.training.trainer import IterationStats
from schemas.training import TrainingProgress


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
