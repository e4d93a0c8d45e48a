"""One PPO run over a batched environment, an iteration at a time, with its full state.

The run is a sequence of iterations; each resets the environments on problems drawn
by `draw_problems`, collects a rollout, computes GAE and updates the agent. Between
iterations the caller may stop, checkpoint (`state_dict`) or report progress.
"""

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from torch import optim

from fragrance_ai.objective import ScoringProblem
from fragrance_ai.training.agent import Agent
from fragrance_ai.training.batched_env import BatchedFragranceEnv
from fragrance_ai.training.entropy import EntropyScheduleConfig, EntropyScheduler
from fragrance_ai.training.ppo import PPOConfig, Rollout, UpdateStats, compute_gae, ppo_update

DrawProblems = Callable[[np.random.Generator], Sequence[ScoringProblem]]
"""Problems for the next iteration; each gets num_envs / len(problems) environments."""


@dataclass(frozen=True)
class BestFormula:
    """The best formula a rollout visited."""

    objective: float
    percents: np.ndarray
    problem: ScoringProblem


@dataclass(frozen=True)
class IterationStats:
    iteration: int
    global_step: int
    mean_return: float
    mean_final_objective: float
    learning_rate: float
    ent_coef: float
    steps_per_second: float
    update: UpdateStats
    best: BestFormula


class PPOTrainer:
    def __init__(self, config: PPOConfig, draw_problems: DrawProblems) -> None:
        torch.set_num_threads(config.torch_threads)
        self.config = config
        self.draw_problems = draw_problems
        self.generator = torch.Generator().manual_seed(config.seed)
        self.rng = np.random.default_rng(config.seed)
        problems = draw_problems(self.rng)
        if config.n_ingredients is not None and problems[0].size != config.n_ingredients:
            raise ValueError(
                f"the problems have {problems[0].size} candidates, not n_ingredients="
                f"{config.n_ingredients}"
            )
        self.env = BatchedFragranceEnv(
            problems, self._envs_per_problem(problems), config.episode_length, config.step_size
        )
        self.agent = Agent(
            self.env.observation_size, self.action_size, config.hidden_size, self.generator
        )
        self.optimiser = optim.Adam(self.agent.parameters(), lr=config.learning_rate, eps=1e-5)
        self.entropy = EntropyScheduler(
            EntropyScheduleConfig(
                config.initial_entropy,
                config.final_entropy,
                max(1, config.num_iterations - 1),
                config.entropy_schedule,
            )
        )
        self.iteration = 0
        self.global_step = 0
        self._first_problems: Sequence[ScoringProblem] | None = problems

    @property
    def action_size(self) -> int:
        return self.env.problems[0].size

    @property
    def finished(self) -> bool:
        return self.iteration >= self.config.num_iterations

    def _envs_per_problem(self, problems: Sequence[ScoringProblem]) -> int:
        if self.config.num_envs % len(problems):
            raise ValueError(
                f"num_envs={self.config.num_envs} is not a multiple of {len(problems)} problems"
            )
        return self.config.num_envs // len(problems)

    def run_iteration(self) -> IterationStats:
        c = self.config
        started = time.perf_counter()
        if c.anneal_lr:
            frac = 1.0 - self.iteration / c.num_iterations
            self.optimiser.param_groups[0]["lr"] = frac * c.learning_rate
        ent_coef = self.entropy.step()
        rollout, next_obs, episode_returns, final_objectives, best = self._collect()
        with torch.no_grad():
            next_value = self.agent.get_value(next_obs).reshape(1, -1)[0]
        next_done = torch.ones(c.num_envs)
        advantages, returns = compute_gae(rollout, next_value, next_done, c.gamma, c.gae_lambda)
        update = ppo_update(
            self.agent, self.optimiser, rollout, advantages, returns, c, ent_coef, self.generator
        )
        self.iteration += 1
        return IterationStats(
            iteration=self.iteration,
            global_step=self.global_step,
            mean_return=float(np.mean(episode_returns)),
            mean_final_objective=float(np.mean(final_objectives)),
            learning_rate=float(self.optimiser.param_groups[0]["lr"]),
            ent_coef=ent_coef,
            steps_per_second=c.batch_size / (time.perf_counter() - started),
            update=update,
            best=best,
        )

    def _collect(self) -> tuple[Rollout, torch.Tensor, list[float], list[float], BestFormula]:
        c, env = self.config, self.env
        obs = torch.zeros((c.num_steps, c.num_envs, env.observation_size))
        actions = torch.zeros((c.num_steps, c.num_envs, self.action_size))
        logprobs, rewards, dones, values = (
            torch.zeros((c.num_steps, c.num_envs)) for _ in range(4)
        )
        episode_returns: list[float] = []
        final_objectives: list[float] = []
        best: BestFormula | None = None
        next_obs = torch.zeros(0)
        for step in range(c.num_steps):
            if step % c.episode_length == 0:
                next_obs = self._new_episode().float()
                start_objective = env.objective.clone()
                best = _better(best, env)
                dones[step] = 1.0
            obs[step] = next_obs
            with torch.no_grad():
                action, logprob, _, value = self.agent.get_action_and_value(
                    next_obs, generator=self.generator
                )
            values[step] = value.flatten()
            actions[step], logprobs[step] = action, logprob
            result = env.step(action)
            self.global_step += c.num_envs
            rewards[step] = result.reward.float()
            next_obs = result.observation.float()
            best = _better(best, env)
            if result.done:
                episode_returns += (env.objective - start_objective).tolist()
                final_objectives += env.objective.tolist()
        assert best is not None
        rollout = Rollout(obs, actions, logprobs, rewards, dones, values)
        return rollout, next_obs, episode_returns, final_objectives, best

    def _new_episode(self) -> torch.Tensor:
        problems, self._first_problems = self._first_problems, None
        if problems is None:
            problems = self.draw_problems(self.rng)
            if len(problems) != len(self.env.problems) or any(
                p is not q for p, q in zip(problems, self.env.problems, strict=True)
            ):
                self.env.set_problems(problems)
        return self.env.reset(self.generator)

    def state_dict(self) -> dict[str, Any]:
        """Everything a resumed run needs to continue exactly as this one would."""
        return {
            "config": {k: v for k, v in asdict(self.config).items() if k in _INIT_FIELDS},
            "agent": self.agent.state_dict(),
            "optimizer": self.optimiser.state_dict(),  # the key saved runs were written with
            "entropy_scheduler": self.entropy.state_dict(),
            "torch_generator": self.generator.get_state(),
            "numpy_rng": self.rng.bit_generator.state,
            "iteration": self.iteration,
            "global_step": self.global_step,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.agent.load_state_dict(state["agent"])
        self.optimiser.load_state_dict(state["optimizer"])
        self.entropy.load_state_dict(state["entropy_scheduler"])
        self.generator.set_state(state["torch_generator"])
        self.rng.bit_generator.state = state["numpy_rng"]
        self.iteration = int(state["iteration"])
        self.global_step = int(state["global_step"])
        self._first_problems = None


_INIT_FIELDS = {f for f, spec in PPOConfig.__dataclass_fields__.items() if spec.init}


def _better(best: BestFormula | None, env: BatchedFragranceEnv) -> BestFormula:
    i = int(torch.argmax(env.objective))
    objective = float(env.objective[i])
    if best is not None and best.objective >= objective:
        return best
    problem = env.problems[i // env.envs_per_problem]
    return BestFormula(objective, env.percents[i].numpy().copy(), problem)
