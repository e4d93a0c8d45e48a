"""What an agent sees of a formula and its brief, every entry in [0, 1].

Layout: percentages / 100 (K), the brief's target profile (F), the formula's current
profile (F), then what makes one policy work across briefs: each candidate's role
(3K), its odour match to the target (K), its cost against the budget (K) and its cap
(K), whether it answers a wanted material or note (K); the target and current
pyramid (3 + 3), the mix's cost against the budget, whether there is a budget, the
brief's material limit and the materials present (both over K, capped at 1), and the
share of the episode left.
"""

from collections.abc import Sequence

import numpy as np
import torch

from fragrance_ai.objective import ScoringProblem
from fragrance_ai.objective.constants import PRESENT_PERCENT, STEVENS_EXPONENT
from fragrance_ai.training.dynamics import percent_caps

COST_RATIO_CEILING = 4.0
"""Costs are seen as cost / budget, clipped here and scaled to [0, 1]."""


def observation_size(n_ingredients: int, n_families: int) -> int:
    return 8 * n_ingredients + 2 * n_families + 11


class ObservationMaker:
    """Holds the per-brief parts once; `(percents, t)` -> observations (N, D)."""

    def __init__(
        self, problems: Sequence[ScoringProblem], envs_per_problem: int, episode_length: int
    ) -> None:
        def rows(values: list[np.ndarray]) -> torch.Tensor:
            return torch.from_numpy(np.repeat(np.stack(values), envs_per_problem, axis=0))

        self.weighted_vectors = rows([p.weighted_vectors for p in problems])
        self.roles = rows([p.roles for p in problems])
        self.costs = rows([p.costs for p in problems])
        self.budget = rows([np.array([p.brief.budget_per_kg or np.nan]) for p in problems])
        self.episode_length = episode_length
        targets = [p.target for p in problems]
        has_budget = (~torch.isnan(self.budget)).to(torch.float64)
        self.static = torch.cat(
            [
                rows(targets),
                self.roles.flatten(1),
                rows([_match(p) for p in problems]),
                self._cost_ratio(self.costs),
                rows([percent_caps(p) / 100.0 for p in problems]),
                rows([p.wanted_matrix.any(axis=0).astype(float) for p in problems]),
                rows([p.role_target / 100.0 for p in problems]),
            ],
            dim=1,
        )
        self.has_budget = has_budget
        self.max_materials = rows([np.array([p.brief.max_materials / p.size]) for p in problems])
        self.size = observation_size(problems[0].size, len(targets[0]))

    def _cost_ratio(self, cost: torch.Tensor) -> torch.Tensor:
        ratio = torch.nan_to_num(cost / self.budget, nan=0.0)
        return ratio.clamp(max=COST_RATIO_CEILING) / COST_RATIO_CEILING

    def __call__(self, percents: torch.Tensor, t: int) -> torch.Tensor:
        shares = percents / 100.0
        intensity = shares**STEVENS_EXPONENT  # the objective's fidelity law
        profile = torch.einsum("nk,nkf->nf", intensity, self.weighted_vectors)
        profile = profile / profile.sum(dim=1, keepdim=True).clamp(min=1e-12)
        role_share = torch.einsum("nk,nkr->nr", shares, self.roles)
        mix_cost = (shares * self.costs).sum(dim=1, keepdim=True)
        present = (percents >= PRESENT_PERCENT).sum(dim=1, keepdim=True) / percents.shape[1]
        left = torch.full_like(mix_cost, 1.0 - t / self.episode_length)
        k, f = percents.shape[1], profile.shape[1]
        target, rest = self.static[:, :f], self.static[:, f:]
        observation = torch.cat(
            [
                shares,
                target,
                profile,
                rest,
                role_share,
                self._cost_ratio(mix_cost),
                self.has_budget,
                self.max_materials,
                present,
                left,
            ],
            dim=1,
        )
        assert observation.shape[1] == observation_size(k, f)
        return observation.clamp(0.0, 1.0)


def _match(problem: ScoringProblem) -> np.ndarray:
    """Cosine of each candidate's odour vector with the target; vectors are non-negative."""
    norms = np.linalg.norm(problem.weighted_vectors, axis=1) * np.linalg.norm(problem.target)
    return problem.weighted_vectors @ problem.target / norms
