"""PPO with clipped objective, after CleanRL's `ppo_continuous_action.py`: the config,
GAE, and the update, in the paper's words."""

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn, optim

from fragrance_ai.training.agent import Agent
from fragrance_ai.training.entropy import Schedule


@dataclass
class PPOConfig:
    """Hyperparameters of one PPO run; derived sizes are filled in after construction."""

    seed: int = 1
    """Seed of every random draw: network init, actions, minibatches, briefs."""
    n_ingredients: int | None = None
    """Candidate slots per brief, the action size; None: as many as the brief's candidate
    selection gives (one-brief optimisation only: a policy over many briefs needs a number)."""
    episode_length: int = 16
    """Adjustments per episode."""
    step_size: float = 0.5
    """An action of +/-1 multiplies a percentage by exp(+/-step_size)."""
    num_envs: int = 256
    """Environments stepped together in the batched environment."""
    episodes_per_rollout: int = 1
    """Episodes each environment plays per iteration; rollouts always end on an episode end."""
    total_timesteps: int = 65_536
    """Environment steps of the whole run (the step budget)."""
    learning_rate: float = 1e-3
    """Adam's learning rate at the start."""
    anneal_lr: bool = True
    """Fall linearly to 0 over the run."""
    gamma: float = 0.99
    """Discount factor."""
    gae_lambda: float = 0.95
    """Lambda of generalised advantage estimation."""
    num_minibatches: int = 4
    """Minibatches per epoch."""
    update_epochs: int = 4
    """Passes over each rollout."""
    norm_adv: bool = True
    """Normalise advantages within each minibatch."""
    clip_coef: float = 0.2
    """Surrogate clipping coefficient."""
    clip_vloss: bool = True
    """Clip the value loss as the policy loss is clipped."""
    vf_coef: float = 0.5
    """Weight of the value loss."""
    max_grad_norm: float = 0.5
    """Largest global gradient norm."""
    target_kl: float | None = 0.05
    """Stop the epochs of an update once approx_kl exceeds this (None: never)."""
    initial_entropy: float = 0.01
    """Entropy coefficient at the first iteration."""
    final_entropy: float = 0.0
    """Entropy coefficient at the last iteration."""
    entropy_schedule: Schedule = "linear"
    """Shape of the entropy decay."""
    hidden_size: int = 64
    """Width of the hidden layers."""
    torch_threads: int = 1
    """Intra-op threads torch may use: networks this small run fastest on one, and
    more threads only contend with the other work of the process."""

    num_steps: int = field(init=False)
    """Steps per environment per iteration: episode_length * episodes_per_rollout."""
    batch_size: int = field(init=False)
    """Transitions per iteration: num_envs * num_steps."""
    minibatch_size: int = field(init=False)
    """batch_size // num_minibatches."""
    num_iterations: int = field(init=False)
    """total_timesteps // batch_size, at least 1."""

    def __post_init__(self) -> None:
        self.num_steps = self.episode_length * self.episodes_per_rollout
        self.batch_size = self.num_envs * self.num_steps
        self.minibatch_size = self.batch_size // self.num_minibatches
        self.num_iterations = max(1, self.total_timesteps // self.batch_size)
        if self.minibatch_size < 1:
            raise ValueError(
                f"num_minibatches={self.num_minibatches} exceeds the batch of {self.batch_size}"
            )


@dataclass
class Rollout:
    """One iteration's transitions, shaped (num_steps, num_envs, ...)."""

    obs: torch.Tensor
    actions: torch.Tensor
    logprobs: torch.Tensor
    rewards: torch.Tensor
    dones: torch.Tensor
    values: torch.Tensor


def compute_gae(
    rollout: Rollout,
    next_value: torch.Tensor,
    next_done: torch.Tensor,
    gamma: float,
    gae_lambda: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Advantages and returns; dones[t] marks obs[t] as the first of a new episode."""
    rewards, values, dones = rollout.rewards, rollout.values, rollout.dones
    advantages = torch.zeros_like(rewards)
    lastgaelam = torch.zeros_like(next_value)
    num_steps = len(rewards)
    for t in reversed(range(num_steps)):
        if t == num_steps - 1:
            nextnonterminal = 1.0 - next_done
            nextvalues = next_value
        else:
            nextnonterminal = 1.0 - dones[t + 1]
            nextvalues = values[t + 1]
        delta = rewards[t] + gamma * nextvalues * nextnonterminal - values[t]
        lastgaelam = delta + gamma * gae_lambda * nextnonterminal * lastgaelam
        advantages[t] = lastgaelam
    return advantages, advantages + values


@dataclass(frozen=True)
class UpdateStats:
    pg_loss: float
    v_loss: float
    entropy_loss: float
    old_approx_kl: float
    approx_kl: float
    clipfrac: float
    explained_variance: float


def ppo_update(
    agent: Agent,
    optimiser: optim.Optimizer,
    rollout: Rollout,
    advantages: torch.Tensor,
    returns: torch.Tensor,
    config: PPOConfig,
    ent_coef: float,
    generator: torch.Generator,
) -> UpdateStats:
    """Several epochs of clipped-surrogate minibatch updates over one rollout."""
    b_obs = rollout.obs.reshape(-1, rollout.obs.shape[-1])
    b_actions = rollout.actions.reshape(-1, rollout.actions.shape[-1])
    b_logprobs = rollout.logprobs.reshape(-1)
    b_advantages, b_returns = advantages.reshape(-1), returns.reshape(-1)
    b_values = rollout.values.reshape(-1)

    clipfracs: list[float] = []
    for _epoch in range(config.update_epochs):
        b_inds = torch.randperm(config.batch_size, generator=generator)
        for start in range(0, config.batch_size, config.minibatch_size):
            mb_inds = b_inds[start : start + config.minibatch_size]
            _, newlogprob, entropy, newvalue = agent.get_action_and_value(
                b_obs[mb_inds], b_actions[mb_inds]
            )
            logratio = newlogprob - b_logprobs[mb_inds]
            ratio = logratio.exp()
            with torch.no_grad():
                old_approx_kl = (-logratio).mean()
                approx_kl = ((ratio - 1) - logratio).mean()
                clipfracs.append(((ratio - 1.0).abs() > config.clip_coef).float().mean().item())

            mb_advantages = b_advantages[mb_inds]
            if config.norm_adv:
                mb_advantages = (mb_advantages - mb_advantages.mean()) / (
                    mb_advantages.std() + 1e-8
                )

            pg_loss1 = -mb_advantages * ratio
            pg_loss2 = -mb_advantages * torch.clamp(
                ratio, 1 - config.clip_coef, 1 + config.clip_coef
            )
            pg_loss = torch.max(pg_loss1, pg_loss2).mean()

            newvalue = newvalue.view(-1)
            if config.clip_vloss:
                v_loss_unclipped = (newvalue - b_returns[mb_inds]) ** 2
                v_clipped = b_values[mb_inds] + torch.clamp(
                    newvalue - b_values[mb_inds], -config.clip_coef, config.clip_coef
                )
                v_loss_clipped = (v_clipped - b_returns[mb_inds]) ** 2
                v_loss = 0.5 * torch.max(v_loss_unclipped, v_loss_clipped).mean()
            else:
                v_loss = 0.5 * ((newvalue - b_returns[mb_inds]) ** 2).mean()

            entropy_loss = entropy.mean()
            loss = pg_loss - ent_coef * entropy_loss + v_loss * config.vf_coef

            optimiser.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(agent.parameters(), config.max_grad_norm)
            optimiser.step()

        if config.target_kl is not None and approx_kl > config.target_kl:
            break

    y_pred, y_true = b_values.numpy(), b_returns.numpy()
    var_y = np.var(y_true)
    explained_var = np.nan if var_y == 0 else 1 - np.var(y_true - y_pred) / var_y
    return UpdateStats(
        pg_loss=pg_loss.item(),
        v_loss=v_loss.item(),
        entropy_loss=entropy_loss.item(),
        old_approx_kl=old_approx_kl.item(),
        approx_kl=approx_kl.item(),
        clipfrac=float(np.mean(clipfracs)),
        explained_variance=float(explained_var),
    )
