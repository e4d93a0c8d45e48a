"""Optimise one brief with PPO: every environment formulates for it, and the best
formula visited is the answer (the *optimise* kind of RL job)."""

from dataclasses import dataclass, replace

from pydantic import BaseModel, Field

from fragrance_ai.catalog import Catalog, load_catalog
from fragrance_ai.optimiser.hard_limits import formula_from_percents
from fragrance_ai.training.policy import Policy
from fragrance_ai.training.ppo import PPOConfig
from fragrance_ai.training.problem import compile_problem
from fragrance_ai.training.progress import (
    ProgressCallback,
    RunCancelledError,
    StopCheck,
    StopReason,
    TrainingProgress,
)
from fragrance_ai.training.trainer import BestFormula, IterationStats, PPOTrainer
from schemas.brief import Brief
from schemas.formula import Formula


@dataclass(frozen=True)
class Plateau:
    """When an optimisation has stopped improving."""

    patience: int = 8
    """Iterations without improvement before stopping."""
    min_improvement: float = 1e-4
    """Smallest gain in the best objective that counts as improvement."""


class PPOOptimisation(BaseModel):
    formula: Formula = Field(description="The best formula found")
    objective: float = Field(description="Its objective, before rounding into the formula")
    iterations: int = Field(description="PPO iterations run")
    global_step: int = Field(description="Environment steps taken")
    stopped_by: StopReason = Field(description="budget, plateau or cancelled")


def optimise_with_ppo(
    brief: Brief,
    config: PPOConfig | None = None,
    *,
    plateau: Plateau | None = None,
    catalog: Catalog | None = None,
    should_stop: StopCheck | None = None,
    on_progress: ProgressCallback | None = None,
) -> PPOOptimisation:
    """The best formula PPO visits within `config.total_timesteps` or until a plateau."""
    config = config or PPOConfig()
    plateau = plateau or Plateau()
    catalog = catalog or load_catalog()
    problem = compile_problem(brief, config.n_ingredients, catalog)
    config = replace(config, n_ingredients=problem.size)
    trainer = PPOTrainer(config, lambda _rng: [problem])
    best: BestFormula | None = None
    stale = 0
    stopped_by: StopReason = "budget"
    while not trainer.finished:
        if should_stop is not None and should_stop():
            stopped_by = "cancelled"
            break
        stats = trainer.run_iteration()
        found = max(stats.best, _greedy_episode(trainer), key=lambda b: b.objective)
        improved = best is None or found.objective > best.objective + plateau.min_improvement
        if best is None or found.objective > best.objective:
            best = found
        stale = 0 if improved else stale + 1
        if on_progress is not None:
            on_progress(_progress(trainer, stats, best))
        if stale >= plateau.patience:
            stopped_by = "plateau"
            break
    if best is None:
        raise RunCancelledError("the optimisation was cancelled before its first iteration")
    return PPOOptimisation(
        formula=formula_from_percents(problem, best.percents, catalog),
        objective=best.objective,
        iterations=trainer.iteration,
        global_step=trainer.global_step,
        stopped_by=stopped_by,
    )


def _greedy_episode(trainer: PPOTrainer) -> BestFormula:
    """The best formula of one episode of the policy's mean actions: the stochastic
    rollouts explore around it, and late in a run it is often the best of all."""
    [problem] = trainer.env.problems
    [(objective, percents)] = Policy(trainer.agent, trainer.config).best_percents([problem])
    trainer.agent.train()
    return BestFormula(objective, percents, problem)


def _progress(trainer: PPOTrainer, stats: IterationStats, best: BestFormula) -> TrainingProgress:
    c = trainer.config
    return TrainingProgress(
        run="optimise",
        iteration=trainer.iteration,
        num_iterations=c.num_iterations,
        global_step=trainer.global_step,
        episodes=trainer.iteration * c.num_envs * c.episodes_per_rollout,
        mean_return=stats.mean_return,
        mean_objective=stats.mean_final_objective,
        best_objective=best.objective,
        steps_per_second=stats.steps_per_second,
    )
