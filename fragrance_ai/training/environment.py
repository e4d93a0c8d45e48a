"""`FragranceEnvironment`: the formula environment as a gymnasium environment.

One brief, `n_ingredients` candidate materials. The state is the percentages of the
candidates; an action in [-1, 1]^n multiplies each by exp(step_size * action), then
the percentages are renormalised to 100 within the IFRA caps (see `dynamics`). The
reward is the change in the objective, so an episode's return is the objective gained
from the starting formula. Episodes last `episode_length` steps; the observation
carries the steps left, so reaching the horizon is a true termination.
"""

from typing import Any

import gymnasium as gym
import numpy as np
import torch

from fragrance_ai.catalog import Catalog
from fragrance_ai.objective.constants import FAMILIES
from fragrance_ai.training.batched_env import BatchedFragranceEnv
from fragrance_ai.training.observation import observation_size
from fragrance_ai.training.problem import DEFAULT_BRIEF, compile_problem
from schemas.brief import Brief

__all__ = ["BatchedFragranceEnv", "FragranceEnvironment"]


class FragranceEnvironment(gym.Env[np.ndarray, np.ndarray]):
    """A batch of one `BatchedFragranceEnv`, so both share their dynamics exactly."""

    def __init__(
        self,
        brief: Brief | None = None,
        n_ingredients: int = 8,
        episode_length: int = 16,
        step_size: float = 0.5,
        init_noise: float = 0.3,
        catalog: Catalog | None = None,
    ) -> None:
        self.brief = brief or DEFAULT_BRIEF
        self.problem = compile_problem(self.brief, n_ingredients, catalog)
        self.batch = BatchedFragranceEnv([self.problem], 1, episode_length, step_size, init_noise)
        size = observation_size(n_ingredients, len(FAMILIES))
        self.observation_space = gym.spaces.Box(0.0, 1.0, (size,), np.float32)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (n_ingredients,), np.float32)
        self._generator = torch.Generator()

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self._generator.manual_seed(int(self.np_random.integers(2**63 - 1)))
        observation = self.batch.reset(self._generator)
        return self._numpy(observation), self._info()

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        actions = torch.as_tensor(np.asarray(action, dtype=np.float64)).reshape(1, -1)
        result = self.batch.step(actions)
        return (
            self._numpy(result.observation),
            float(result.reward[0]),
            result.done,
            False,
            self._info(),
        )

    @property
    def percents(self) -> dict[str, float]:
        """The current formula: candidate id -> % of the concentrate."""
        row = self.batch.percents[0].tolist()
        return {m.id: p for m, p in zip(self.problem.materials, row, strict=True)}

    def _info(self) -> dict[str, Any]:
        return {"objective": float(self.batch.objective[0])}

    @staticmethod
    def _numpy(observation: torch.Tensor) -> np.ndarray:
        return observation[0].numpy().astype(np.float32)
