"""Train a goal-conditioned policy over random briefs: checkpointed, resumable, cancellable.

`train_policy` resumes from the newest checkpoint in `<checkpoint_dir>/<run>` when
there is one, so a redelivered job continues where the last worker stopped. It
checks `should_stop` between iterations; when asked to stop it checkpoints first.
"""

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from torch.utils.tensorboard import SummaryWriter

from fragrance_ai.catalog import Catalog, load_catalog
from fragrance_ai.objective import ScoringProblem
from fragrance_ai.optimiser.errors import FormulationError
from fragrance_ai.training.briefs import sample_brief
from fragrance_ai.training.checkpoint import (
    POLICY_FILE,
    latest_checkpoint,
    load_checkpoint,
    save_checkpoint,
)
from fragrance_ai.training.policy import Policy
from fragrance_ai.training.ppo import PPOConfig
from fragrance_ai.training.problem import compile_problem
from fragrance_ai.training.progress import (
    ProgressCallback,
    StopCheck,
    TrainingProgress,
    log_iteration,
)
from fragrance_ai.training.trainer import PPOTrainer
from schemas.training import TrainingOutcome

EVAL_SEED_OFFSET = 10_000


@dataclass
class TrainConfig:
    """A training run: PPO settings and where its state goes."""

    run: str
    """Run name: the sub-directory of checkpoint_dir and tensorboard_dir."""
    checkpoint_dir: Path
    """Checkpoints go to checkpoint_dir/run (CHECKPOINT_DIR in settings)."""
    tensorboard_dir: Path | None = None
    """TensorBoard events go to tensorboard_dir/run; None: no logging."""
    ppo: PPOConfig = field(
        default_factory=lambda: PPOConfig(n_ingredients=12, total_timesteps=1_000_000)
    )
    """The PPO hyperparameters."""
    briefs_per_rollout: int = 8
    """Distinct random briefs per iteration; num_envs must be a multiple."""
    checkpoint_every: int = 10
    """Iterations between checkpoints (the last iteration always saves)."""
    eval_every: int = 10
    """Iterations between evaluations of the deterministic policy."""
    eval_briefs: int = 16
    """Fixed random briefs of the evaluation."""
    keep_checkpoints: int = 3
    """Newest checkpoint files kept."""

    @property
    def run_dir(self) -> Path:
        return self.checkpoint_dir / self.run


def random_problems(
    rng: np.random.Generator, count: int, n_ingredients: int, catalog: Catalog
) -> list[ScoringProblem]:
    """`count` random briefs compiled; a brief the catalog cannot honour is redrawn."""
    problems: list[ScoringProblem] = []
    while len(problems) < count:
        with contextlib.suppress(FormulationError, ValueError):
            problems.append(compile_problem(sample_brief(rng, catalog), n_ingredients, catalog))
    return problems


def train_policy(
    config: TrainConfig,
    *,
    should_stop: StopCheck | None = None,
    on_progress: ProgressCallback | None = None,
    catalog: Catalog | None = None,
) -> TrainingOutcome:
    """Run (or resume) training to `config.ppo.total_timesteps`, or until `should_stop`."""
    catalog = catalog or load_catalog()
    trainer, eval_problems = _build(config, catalog)
    resumed = latest_checkpoint(config.run_dir)
    if resumed is not None:
        trainer.load_state_dict(load_checkpoint(resumed))
    resumed_from = trainer.global_step if resumed is not None else None
    writer = None
    if config.tensorboard_dir is not None:
        writer = SummaryWriter(str(config.tensorboard_dir / config.run), purge_step=resumed_from)
    try:
        eval_objective = _iterate(
            config, trainer, eval_problems, catalog, writer, should_stop, on_progress
        )
    finally:
        if writer is not None:
            writer.close()
    checkpoint = latest_checkpoint(config.run_dir)
    if checkpoint is None or _step_of(checkpoint) != trainer.global_step:
        checkpoint = save_checkpoint(config.run_dir, trainer.state_dict(), config.keep_checkpoints)
    policy_path = None
    if trainer.finished:
        policy_path = config.run_dir / POLICY_FILE
        Policy(trainer.agent, config.ppo, catalog).save(policy_path)
    return TrainingOutcome(
        run=config.run,
        status="completed" if trainer.finished else "cancelled",
        iterations=trainer.iteration,
        global_step=trainer.global_step,
        resumed_from_step=resumed_from,
        checkpoint=str(checkpoint),
        policy=str(policy_path) if policy_path else None,
        eval_objective=eval_objective,
    )


def _build(config: TrainConfig, catalog: Catalog) -> tuple[PPOTrainer, list[ScoringProblem]]:
    n_ingredients = config.ppo.n_ingredients
    if n_ingredients is None:
        raise ValueError("training a policy needs a fixed PPOConfig.n_ingredients")
    trainer = PPOTrainer(
        config.ppo,
        lambda rng: random_problems(rng, config.briefs_per_rollout, n_ingredients, catalog),
    )
    eval_rng = np.random.default_rng(config.ppo.seed + EVAL_SEED_OFFSET)
    return trainer, random_problems(eval_rng, config.eval_briefs, n_ingredients, catalog)


def _iterate(
    config: TrainConfig,
    trainer: PPOTrainer,
    eval_problems: Sequence[ScoringProblem],
    catalog: Catalog,
    writer: SummaryWriter | None,
    should_stop: StopCheck | None,
    on_progress: ProgressCallback | None,
) -> float | None:
    """Iterations until finished or asked to stop; the last evaluation's objective."""
    ppo, best, last_eval = config.ppo, -np.inf, None
    while not trainer.finished and not (should_stop is not None and should_stop()):
        stats = trainer.run_iteration()
        best = max(best, stats.best.objective)
        evaluated = None
        if trainer.iteration % config.eval_every == 0 or trainer.finished:
            evaluated = last_eval = _evaluate(trainer, eval_problems, catalog)
        progress = TrainingProgress(
            run=config.run,
            iteration=trainer.iteration,
            num_iterations=ppo.num_iterations,
            global_step=trainer.global_step,
            episodes=trainer.iteration * ppo.num_envs * ppo.episodes_per_rollout,
            mean_return=stats.mean_return,
            mean_objective=stats.mean_final_objective,
            best_objective=best,
            eval_objective=evaluated,
            steps_per_second=stats.steps_per_second,
            entropy=stats.update.entropy_loss,
        )
        if writer is not None:
            log_iteration(writer, stats, progress)
        if trainer.iteration % config.checkpoint_every == 0 or trainer.finished:
            save_checkpoint(config.run_dir, trainer.state_dict(), config.keep_checkpoints)
        if on_progress is not None:
            on_progress(progress)
    return last_eval


def _evaluate(trainer: PPOTrainer, problems: Sequence[ScoringProblem], catalog: Catalog) -> float:
    policy = Policy(trainer.agent, trainer.config, catalog)
    objective = float(np.mean([o for o, _ in policy.best_percents(problems)]))
    trainer.agent.train()
    return objective


def _step_of(checkpoint: Path) -> int:
    return int(checkpoint.stem.removeprefix("step-"))
