"""How an action moves a formula: one implementation, in torch, for every environment.

Percentages live on the simplex scaled to 100. An action nudges their logarithms,
a softmax brings them back to 100, and a projection pins any material above its cap
(its IFRA limit in the concentrate, or 0 when the brief excludes it) at the cap.
"""

import numpy as np
import torch

from fragrance_ai.objective import ScoringProblem
from fragrance_ai.optimiser.errors import FormulationError

MIN_PERCENT = 1e-4
"""Floor under a percentage before its logarithm, so a material at 0% can come back."""

CAP_MARGIN_PERCENT = 1e-3
"""Caps sit this far (in % of the concentrate) inside the IFRA limit, so that the
formula's rounding to 4 decimals never reads as a breach."""


def percent_caps(problem: ScoringProblem) -> np.ndarray:
    """Most % of the concentrate each candidate may take: its IFRA limit in the finished
    product divided by the dilution, 100 when unrestricted, 0 when excluded."""
    caps = 100.0 * problem.limits / problem.finished_factor - CAP_MARGIN_PERCENT
    caps = np.where(problem.excluded_mask, 0.0, np.minimum(caps, 100.0))
    if caps.sum() < 100.0:
        names = ", ".join(m.id for m in problem.materials)
        raise FormulationError(
            f"the candidates ({names}) cannot reach 100% within their IFRA limits "
            "and the brief's exclusions"
        )
    return caps


def project_to_caps(percents: torch.Tensor, caps: torch.Tensor) -> torch.Tensor:
    """Rows scaled to sum 100 with no entry above its cap: entries at or over their cap
    are pinned there and the others share the rest in proportion, until none is over."""
    allowed = caps > 0
    p = torch.where(allowed, percents.clamp(min=0.0) + 1e-12, 0.0)
    p = 100.0 * p / p.sum(dim=-1, keepdim=True)
    for _ in range(p.shape[-1]):
        if not bool((p > caps).any()):
            break
        pinned = p >= caps
        room = 100.0 - torch.where(pinned, caps, 0.0).sum(dim=-1, keepdim=True)
        free = torch.where(pinned, 0.0, p)
        p = torch.where(pinned, caps, free * room / free.sum(dim=-1, keepdim=True))
    return p


def apply_action(
    percents: torch.Tensor, action: torch.Tensor, caps: torch.Tensor, step_size: float
) -> torch.Tensor:
    """New percentages after multiplying each by exp(step_size * action), action in [-1, 1]."""
    logits = torch.log(percents.clamp(min=MIN_PERCENT)) + step_size * action.clamp(-1.0, 1.0)
    logits = logits.masked_fill(caps <= 0, float("-inf"))
    return project_to_caps(100.0 * torch.softmax(logits, dim=-1), caps)


def initial_percents(
    caps: torch.Tensor, noise: float, generator: torch.Generator | None
) -> torch.Tensor:
    """Equal shares of the allowed candidates, each scaled by exp(noise * N(0, 1))."""
    jitter = torch.randn(caps.shape, generator=generator, dtype=caps.dtype)
    return project_to_caps(torch.exp(noise * jitter), caps)
