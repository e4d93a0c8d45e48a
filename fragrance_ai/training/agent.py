"""The actor-critic network: a Gaussian policy over percentage adjustments and a value head."""

import math

import torch
from torch import nn
from torch.distributions import Normal


def _layer(size_in: int, size_out: int, std: float, generator: torch.Generator) -> nn.Linear:
    layer = nn.Linear(size_in, size_out)
    nn.init.orthogonal_(layer.weight, std, generator=generator)
    nn.init.constant_(layer.bias, 0.0)
    return layer


class Agent(nn.Module):
    """Two tanh MLPs, orthogonally initialised; a state-independent log standard deviation."""

    def __init__(
        self, observation_size: int, action_size: int, hidden_size: int, generator: torch.Generator
    ) -> None:
        super().__init__()
        root2 = math.sqrt(2.0)
        self.critic = nn.Sequential(
            _layer(observation_size, hidden_size, root2, generator),
            nn.Tanh(),
            _layer(hidden_size, hidden_size, root2, generator),
            nn.Tanh(),
            _layer(hidden_size, 1, 1.0, generator),
        )
        self.actor_mean = nn.Sequential(
            _layer(observation_size, hidden_size, root2, generator),
            nn.Tanh(),
            _layer(hidden_size, hidden_size, root2, generator),
            nn.Tanh(),
            _layer(hidden_size, action_size, 0.01, generator),
        )
        self.actor_logstd = nn.Parameter(torch.zeros(1, action_size))

    def get_value(self, x: torch.Tensor) -> torch.Tensor:
        return self.critic(x)

    def deterministic_action(self, x: torch.Tensor) -> torch.Tensor:
        return self.actor_mean(x).clamp(-1.0, 1.0)

    def get_action_and_value(
        self,
        x: torch.Tensor,
        action: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Sample an action (or score a given one): action, log-prob, entropy, value."""
        action_mean = self.actor_mean(x)
        action_std = torch.exp(self.actor_logstd.expand_as(action_mean))
        probs = Normal(action_mean, action_std)
        if action is None:
            noise = torch.randn(action_mean.shape, generator=generator, dtype=x.dtype)
            action = action_mean + action_std * noise
        return action, probs.log_prob(action).sum(1), probs.entropy().sum(1), self.critic(x)
