"""A trained policy: answers a brief with one deterministic rollout (`optimizer=policy`)."""

from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch

from fragrance_ai.catalog import Catalog, load_catalog
from fragrance_ai.objective import ScoringProblem
from fragrance_ai.optimiser.hard_limits import formula_from_percents
from fragrance_ai.training.agent import Agent
from fragrance_ai.training.batched_env import BatchedFragranceEnv
from fragrance_ai.training.ppo import PPOConfig
from fragrance_ai.training.problem import compile_problem
from schemas.brief import Brief
from schemas.formula import Formula


class Policy:
    """The actor of a trained agent with the environment settings it was trained on."""

    def __init__(self, agent: Agent, config: PPOConfig, catalog: Catalog | None = None) -> None:
        self.agent = agent.eval()
        self.config = config
        self.catalog = catalog or load_catalog()

    def best_percents(self, problems: Sequence[ScoringProblem]) -> list[tuple[float, np.ndarray]]:
        """For each problem, the best (objective, percents) of one deterministic episode
        from equal shares; the start itself counts, so the policy never makes things worse."""
        c = self.config
        env = BatchedFragranceEnv(problems, 1, c.episode_length, c.step_size, init_noise=0.0)
        obs = env.reset()
        best_objective, best_percents = env.objective.clone(), env.percents.clone()
        with torch.inference_mode():
            for _ in range(c.episode_length):
                result = env.step(self.agent.deterministic_action(obs.float()))
                obs = result.observation
                better = env.objective > best_objective
                best_objective = torch.where(better, env.objective, best_objective)
                best_percents = torch.where(better[:, None], env.percents, best_percents)
        return [(float(o), p.numpy()) for o, p in zip(best_objective, best_percents, strict=True)]

    def formulate(self, brief: Brief) -> Formula:
        problem = compile_problem(brief, self.config.n_ingredients, self.catalog)
        [(_, percents)] = self.best_percents([problem])
        return formula_from_percents(problem, percents, self.catalog)

    def to_state(self) -> dict[str, Any]:
        init = {
            k: v for k, v in asdict(self.config).items() if PPOConfig.__dataclass_fields__[k].init
        }
        return {"config": init, "agent": self.agent.state_dict()}

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(self.to_state(), path)

    @classmethod
    def from_state(cls, state: dict[str, Any], catalog: Catalog | None = None) -> "Policy":
        config = PPOConfig(**state["config"])
        weights = state["agent"]
        observation_size = weights["critic.0.weight"].shape[1]
        action_size = weights["actor_logstd"].shape[1]
        agent = Agent(observation_size, action_size, config.hidden_size, torch.Generator())
        agent.load_state_dict(weights)
        return cls(agent, config, catalog)

    @classmethod
    def load(cls, path: Path, catalog: Catalog | None = None) -> "Policy":
        """A policy saved by `save` or a training checkpoint."""
        if not path.is_file():
            raise FileNotFoundError(f"no trained policy at {path}")
        return cls.from_state(torch.load(path, weights_only=True), catalog)
