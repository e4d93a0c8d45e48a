"""How an action moves a formula: one implementation, in torch, for every environment.

Percentages live on the simplex scaled to 100. An action nudges their logarithms,
a softmax brings them back to 100, and a projection keeps them within the hard
limits: each material under its cap (0 when the brief excludes it or its IFRA
category prohibits what it holds) and every IFRA standard within its budget,
summed over the materials that share its substance (see optimiser.hard_limits).
"""

import numpy as np
import torch

from fragrance_ai.objective import ScoringProblem
from fragrance_ai.optimiser.hard_limits import HardLimits

MIN_PERCENT = 1e-4
"""Floor under a percentage before its logarithm, so a material at 0% can come back."""


def percent_caps(problem: ScoringProblem) -> np.ndarray:
    """Most % of the concentrate each candidate may take on its own."""
    return HardLimits.of(problem).caps


def project(percents: torch.Tensor, limits: HardLimits) -> torch.Tensor:
    return torch.from_numpy(limits.project(percents.detach().numpy()))


def apply_action(
    percents: torch.Tensor, action: torch.Tensor, limits: HardLimits, step_size: float
) -> torch.Tensor:
    """New percentages after multiplying each by exp(step_size * action), action in [-1, 1]."""
    caps = torch.from_numpy(np.broadcast_to(limits.caps, percents.shape).copy())
    logits = torch.log(percents.clamp(min=MIN_PERCENT)) + step_size * action.clamp(-1.0, 1.0)
    logits = logits.masked_fill(caps <= 0, float("-inf"))
    return project(100.0 * torch.softmax(logits, dim=-1), limits)


def initial_percents(
    limits: HardLimits, noise: float, generator: torch.Generator | None
) -> torch.Tensor:
    """Equal shares of the allowed candidates, each scaled by exp(noise * N(0, 1))."""
    shape = np.shape(limits.caps)
    jitter = torch.randn(shape, generator=generator, dtype=torch.float64)
    return project(torch.exp(noise * jitter), limits)
