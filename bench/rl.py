"""RL and GA figures, in one run (issue 5):

1. PPO on the batched environment against stable-baselines3's PPO on the gymnasium
   environment: same brief, same number of environment steps; steps per second and
   the best objective each visited.
2. Quality over random briefs: the best objective of PPO-optimise, the GA and a
   trained policy's single rollout, as a fraction of the reference optimiser's.
3. The GA with the batch objective against one formula at a time: evaluations per
   second, for the scoring alone and for whole runs.

Run: python bench/rl.py [--quick]   (about 3 minutes on 2 cores; --quick under 1)
"""

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from fragrance_ai.catalog import Catalog, load_catalog
from fragrance_ai.interpreter.errors import BriefError
from fragrance_ai.objective import ScoringProblem
from fragrance_ai.optimiser import FormulationError, optimise, select_candidates
from fragrance_ai.optimiser.ga import GAConfig, optimise_with_ga
from fragrance_ai.training.briefs import sample_brief
from fragrance_ai.training.environment import FragranceEnvironment
from fragrance_ai.training.optimise import Plateau, optimise_with_ppo
from fragrance_ai.training.policy import Policy
from fragrance_ai.training.ppo import PPOConfig
from fragrance_ai.training.problem import DEFAULT_BRIEF, compile_problem
from fragrance_ai.training.train import TrainConfig, train_policy
from schemas.brief import Brief


@dataclass(frozen=True)
class Scale:
    sps_steps: int
    briefs: int
    optimise_steps: int
    train_steps: int
    ga: GAConfig


FULL = Scale(65_536, 20, 65_536, 1_000_000, GAConfig(population_size=100, generations=60))
QUICK = Scale(16_384, 5, 32_768, 131_072, GAConfig(population_size=60, generations=30))


def timed(run: Callable[[], object]) -> tuple[object, float]:
    started = time.perf_counter()
    result = run()
    return result, time.perf_counter() - started


def ppo_against_sb3(steps: int) -> None:
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env

    problem = compile_problem(DEFAULT_BRIEF, None)
    rows = {}
    no_plateau = Plateau(patience=10**9)
    optimise_with_ppo(DEFAULT_BRIEF, PPOConfig(total_timesteps=1))  # warm-up: imports, catalog
    for num_envs in (256, 128):
        config = PPOConfig(total_timesteps=steps, num_envs=num_envs)
        result, seconds = timed(
            lambda c=config: optimise_with_ppo(DEFAULT_BRIEF, c, plateau=no_plateau)
        )
        rows[f"batched env, {num_envs} envs, our PPO"] = (
            result.global_step / seconds,
            result.objective,
        )  # type: ignore[attr-defined]

    envs = make_vec_env(lambda: FragranceEnvironment(DEFAULT_BRIEF, problem.size), 8, seed=1)
    model = PPO(
        "MlpPolicy",
        envs,
        n_steps=128,
        batch_size=256,
        n_epochs=6,
        learning_rate=1e-3,
        seed=1,
        device="cpu",
        verbose=0,
    )
    seen: list[float] = []

    def track(locals_: dict[str, object], _globals: dict[str, object]) -> bool:
        seen.extend(info["objective"] for info in locals_["infos"])  # type: ignore[attr-defined]
        return True

    _, seconds = timed(lambda: model.learn(total_timesteps=steps, callback=track))
    rows["gymnasium env, 8 envs, SB3 PPO"] = (model.num_timesteps / seconds, max(seen))
    print(f"\n1. PPO, {steps:,} environment steps on the default brief ({problem.size} candidates)")
    print(f"   {'':<38}{'steps/s':>10}{'best objective':>16}{'vs SB3':>8}")
    sb3_rate = rows["gymnasium env, 8 envs, SB3 PPO"][0]
    for name, (rate, best) in rows.items():
        print(f"   {name:<38}{rate:>10,.0f}{best:>16.4f}{rate / sb3_rate:>7.1f}x")


def feasible_briefs(count: int, catalog: Catalog) -> list[tuple[Brief, float, float]]:
    """Random briefs the reference optimiser can meet, with its objective and time."""
    rng, found = np.random.default_rng(2024), []
    while len(found) < count:
        brief = sample_brief(rng, catalog)
        try:
            result, seconds = timed(lambda b=brief: optimise(b, catalog))
        except (BriefError, FormulationError):
            continue
        found.append((brief, result.objective, seconds))  # type: ignore[attr-defined]
    return found


def quality(scale: Scale, catalog: Catalog) -> None:
    briefs = feasible_briefs(scale.briefs, catalog)
    with tempfile.TemporaryDirectory() as directory:
        run = TrainConfig(
            run="bench",
            checkpoint_dir=Path(directory),
            eval_every=10**9,
            ppo=PPOConfig(total_timesteps=scale.train_steps, n_ingredients=12),
        )
        outcome, train_seconds = timed(lambda: train_policy(run, catalog=catalog))
        policy = Policy.load(Path(outcome.policy), catalog)  # type: ignore[attr-defined]
    fractions: dict[str, list[float]] = {"ppo": [], "ga": [], "policy": []}
    seconds: dict[str, list[float]] = {
        "reference": [b[2] for b in briefs],
        "ppo": [],
        "ga": [],
        "policy": [],
    }
    for brief, reference, _ in briefs:
        runs = {
            "ppo": lambda b=brief: (
                optimise_with_ppo(
                    b, PPOConfig(total_timesteps=scale.optimise_steps), catalog=catalog
                ).formula
            ),
            "ga": lambda b=brief: optimise_with_ga(b, scale.ga, catalog).best,
            "policy": lambda b=brief: policy.formulate(b),
        }
        for name, run_one in runs.items():
            formula, elapsed = timed(run_one)
            fractions[name].append(formula.score.total / reference)  # type: ignore[attr-defined]
            seconds[name].append(elapsed)
    print(
        f"\n2. Quality over {len(briefs)} random feasible briefs, objective / reference optimiser's"
    )
    print(f"   policy trained for {scale.train_steps:,} steps in {train_seconds:.0f} s")
    print(f"   {'':<14}{'mean':>8}{'min':>8}{'median time':>14}")
    print(
        f"   {'reference':<14}{1:>8.3f}{1:>8.3f}{statistics.median(seconds['reference']) * 1e3:>11.0f} ms"
    )
    for name, values in fractions.items():
        print(
            f"   {name:<14}{np.mean(values):>8.3f}{min(values):>8.3f}"
            f"{statistics.median(seconds[name]) * 1e3:>11.0f} ms"
        )


def ga_batch_against_single(config: GAConfig, catalog: Catalog) -> None:
    problem = ScoringProblem.compile(DEFAULT_BRIEF, select_candidates(DEFAULT_BRIEF, catalog))
    population = 100.0 * np.random.default_rng(0).dirichlet(
        np.ones(problem.size), config.population_size
    )
    _, batch = timed(lambda: [problem.score_batch(population) for _ in range(50)])
    _, single = timed(lambda: [[problem.score_batch(row) for row in population] for _ in range(50)])
    scoring = 50 * config.population_size
    print(f"\n3. GA evaluations per second (population {config.population_size})")
    print(
        f"   scoring alone: batch {scoring / batch:,.0f}/s, one at a time {scoring / single:,.0f}/s,"
        f" ratio {single / batch:.1f}x"
    )
    runs = {}
    for mode in (True, False):
        setting = GAConfig(
            population_size=config.population_size,
            generations=config.generations,
            batch_evaluation=mode,
        )
        result, elapsed = timed(lambda s=setting: optimise_with_ga(DEFAULT_BRIEF, s, catalog))
        runs[mode] = result.evaluations / elapsed  # type: ignore[attr-defined]
    print(
        f"   whole runs:    batch {runs[True]:,.0f}/s, one at a time {runs[False]:,.0f}/s,"
        f" ratio {runs[True] / runs[False]:.1f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller budgets and 5 briefs")
    scale = QUICK if parser.parse_args().quick else FULL
    torch.set_num_threads(1)
    catalog = load_catalog()
    started = time.perf_counter()
    ppo_against_sb3(scale.sps_steps)
    quality(scale, catalog)
    ga_batch_against_single(scale.ga, catalog)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
