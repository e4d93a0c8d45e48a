"""Many formula environments stepped together in tensor operations.

Row i formulates for `problems[i // envs_per_problem]`; every row moves by the same
dynamics as `FragranceEnvironment` and is rewarded by the same batch objective.
Episodes have a fixed length and all rows start and end together.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from fragrance_ai.objective import ScoringProblem
from fragrance_ai.optimiser.hard_limits import HardLimits
from fragrance_ai.training.dynamics import apply_action, initial_percents
from fragrance_ai.training.observation import ObservationMaker


@dataclass(frozen=True)
class StepResult:
    observation: torch.Tensor
    reward: torch.Tensor
    objective: torch.Tensor
    done: bool


class BatchedFragranceEnv:
    """`reset()` then `step(actions)` `episode_length` times; float64 tensors throughout."""

    def __init__(
        self,
        problems: Sequence[ScoringProblem],
        envs_per_problem: int = 1,
        episode_length: int = 16,
        step_size: float = 0.5,
        init_noise: float = 0.3,
    ) -> None:
        if episode_length < 1 or envs_per_problem < 1:
            raise ValueError("episode_length and envs_per_problem must be at least 1")
        self.envs_per_problem = envs_per_problem
        self.episode_length = episode_length
        self.step_size = step_size
        self.init_noise = init_noise
        self.set_problems(problems)

    def set_problems(self, problems: Sequence[ScoringProblem]) -> None:
        """Formulate for other briefs from the next `reset()` on (same candidate count)."""
        if not problems or len({p.size for p in problems}) != 1:
            raise ValueError("give at least one problem, all with the same number of candidates")
        self.problems = tuple(problems)
        self.limits = HardLimits.stack([HardLimits.of(p) for p in problems], self.envs_per_problem)
        self.caps = torch.from_numpy(self.limits.caps)
        self.observe = ObservationMaker(self.problems, self.envs_per_problem, self.episode_length)
        self.percents = torch.zeros_like(self.caps)
        self.objective = torch.zeros(len(self.caps), dtype=torch.float64)
        self.t = 0

    @property
    def num_envs(self) -> int:
        return len(self.caps)

    @property
    def observation_size(self) -> int:
        return self.observe.size

    def reset(self, generator: torch.Generator | None = None) -> torch.Tensor:
        self.percents = initial_percents(self.limits, self.init_noise, generator)
        self.objective = self.score(self.percents)
        self.t = 0
        return self.observe(self.percents, self.t)

    def step(self, actions: torch.Tensor) -> StepResult:
        if self.t >= self.episode_length:
            raise RuntimeError("the episode is over: call reset() first")
        self.percents = apply_action(
            self.percents, actions.to(torch.float64), self.limits, self.step_size
        )
        objective = self.score(self.percents)
        reward = objective - self.objective
        self.objective = objective
        self.t += 1
        return StepResult(
            observation=self.observe(self.percents, self.t),
            reward=reward,
            objective=objective,
            done=self.t == self.episode_length,
        )

    def score(self, percents: torch.Tensor) -> torch.Tensor:
        """The objective of every row, by each row's own problem."""
        groups = percents.detach().numpy().reshape(len(self.problems), self.envs_per_problem, -1)
        totals = [
            problem.score_batch(g).total for problem, g in zip(self.problems, groups, strict=True)
        ]
        return torch.from_numpy(np.concatenate(totals))
