"""The objective over a batch of formulas on one candidate set, in numpy.

`ScoringProblem.compile(brief, materials)` turns a brief and K candidate materials
into arrays once; `score_batch(percents)` then scores a (B, K) array of percentages
with the same formulas as `scalar.py`, which the tests hold it to within 1e-6.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fragrance_ai.objective.constants import (
    HARD_PENALTY,
    PRESENT_PERCENT,
    ROLES,
    ROUNDING_PERCENT,
    STEVENS_EXPONENT,
    WEIGHTS,
)
from fragrance_ai.objective.dosing import (
    accord_for,
    budget_per_kg,
    effective_percent,
    use_caps,
    wanted_items,
)
from fragrance_ai.objective.profile import odour_vector, potency, pyramid_target, target_vector
from fragrance_ai.objective.scalar import is_excluded, satisfies
from fragrance_ai.regulation import Regulation, SubstanceLimits, load_regulation
from schemas.brief import Brief
from schemas.material import Material


@dataclass(frozen=True)
class BatchScores:
    """Each part and the total, one value per formula of the batch."""

    fidelity: np.ndarray
    pyramid: np.ndarray
    ifra: np.ndarray
    cost: np.ndarray
    count: np.ndarray
    wanted: np.ndarray
    excluded: np.ndarray
    total: np.ndarray
    compliant: np.ndarray


@dataclass(frozen=True)
class ScoringProblem:
    """A brief compiled against K candidate materials."""

    brief: Brief
    materials: tuple[Material, ...]
    weighted_vectors: np.ndarray  # (K, F): potency_i * v_i, so profile = q^n @ this
    target: np.ndarray  # (F,)
    roles: np.ndarray  # (K, 3) one-hot
    role_target: np.ndarray  # (3,) percent
    regulation: SubstanceLimits  # IFRA limits by substance in the brief's category
    costs: np.ndarray  # (K,)
    excluded_mask: np.ndarray  # (K,) bool
    wanted_matrix: np.ndarray  # (W, K): 1 / effective dose of k where k answers item w
    accords: tuple[tuple[np.ndarray, np.ndarray, int], ...]
    """Per wanted item an accord answers: its members' candidate indices, 1 / their
    effective doses, and its quorum (items met by accord, not by wanted_matrix)."""
    use_caps: np.ndarray  # (K,) typical maximum use, % (100 where none)

    @classmethod
    def compile(
        cls, brief: Brief, materials: Sequence[Material], regulation: Regulation | None = None
    ) -> "ScoringProblem":
        regulation = regulation or load_regulation()
        items = wanted_items(brief)
        accords = [(w, accord_for(w)) for w in items]  # an item may come twice
        by_accord = [accord for _, accord in accords if accord is not None]
        wanted = [w for w, accord in accords if accord is None]
        index = {m.id: k for k, m in enumerate(materials)}
        target_roles = pyramid_target(brief)
        return cls(
            brief=brief,
            materials=tuple(materials),
            weighted_vectors=np.array([potency(m) * odour_vector(m) for m in materials]),
            target=target_vector(brief.family_weights),
            roles=np.array([[m.role is r for r in ROLES] for m in materials], dtype=float),
            role_target=np.array([target_roles[r] for r in ROLES]),
            regulation=regulation.compile(brief, materials),
            costs=np.array([m.cost_per_kg for m in materials]),
            excluded_mask=np.array([is_excluded(m, brief) for m in materials], dtype=bool),
            wanted_matrix=np.array(
                [
                    [1.0 / effective_percent(m) if satisfies(m, w) else 0.0 for m in materials]
                    for w in wanted
                ]
            ).reshape(len(wanted), len(materials)),
            accords=tuple(
                (
                    np.array([index[i] for i in accord.parts if i in index], dtype=int),
                    np.array(
                        [
                            1.0 / effective_percent(materials[index[i]])
                            for i in accord.parts
                            if i in index
                        ]
                    ),
                    accord.quorum,
                )
                for accord in by_accord
            ),
            use_caps=use_caps(materials),
        )

    @property
    def size(self) -> int:
        return len(self.materials)

    def score_batch(self, percents: np.ndarray) -> BatchScores:
        """Score a (B, K) or (K,) array of non-negative percentages (any positive scale)."""
        p = np.atleast_2d(np.asarray(percents, dtype=np.float64))
        if p.shape[1] != self.size:
            raise ValueError(f"expected {self.size} percentages per formula, got {p.shape[1]}")
        totals = p.sum(axis=1, keepdims=True)
        shares = np.divide(p, totals, out=np.zeros_like(p), where=totals > 0)
        present = 100.0 * shares >= PRESENT_PERCENT

        profile = shares**STEVENS_EXPONENT @ self.weighted_vectors
        norms = np.linalg.norm(profile, axis=1) * np.linalg.norm(self.target)
        fidelity = np.divide(profile @ self.target, norms, out=np.zeros(len(p)), where=norms > 0)

        role_share = 100.0 * shares @ self.roles
        pyramid = 1.0 - np.abs(role_share - self.role_target).sum(axis=1) / 200.0

        excess = self.regulation.excess(shares)
        ifra = np.exp(-excess)

        cost_per_kg = shares @ self.costs
        budget = budget_per_kg(self.brief)
        cost = np.where(cost_per_kg <= budget, 1.0, (budget / cost_per_kg) ** 2)

        n_present = present.sum(axis=1)
        max_n = self.brief.max_materials
        count = np.where(n_present <= max_n, 1.0, max_n / np.maximum(n_present, 1))

        met = [np.minimum(1.0, 100.0 * shares @ self.wanted_matrix.T)]
        for members, inverse_doses, quorum in self.accords:
            ratios = np.sort(np.minimum(1.0, 100.0 * shares[:, members] * inverse_doses), axis=1)
            met.append(ratios[:, ::-1][:, :quorum].sum(axis=1, keepdims=True) / quorum)
        everything = np.hstack(met)
        wanted = everything.mean(axis=1) if everything.shape[1] else np.ones(len(p))

        over = np.maximum(0.0, 100.0 * shares - self.use_caps - ROUNDING_PERCENT)
        overuse = (over / self.use_caps).sum(axis=1)

        excluded = np.where((present & self.excluded_mask).any(axis=1), 0.0, 1.0)

        total = (
            WEIGHTS["fidelity"] * fidelity
            + WEIGHTS["pyramid"] * pyramid
            + WEIGHTS["ifra"] * ifra
            + WEIGHTS["cost"] * cost
            + WEIGHTS["count"] * count
            + WEIGHTS["wanted"] * wanted
            + WEIGHTS["excluded"] * excluded
        )
        total = total - np.where(excess > 0, HARD_PENALTY + excess, 0.0)
        total = total - np.where(overuse > 0, HARD_PENALTY + overuse, 0.0)
        total = total - np.where(excluded == 0.0, HARD_PENALTY, 0.0)
        return BatchScores(
            fidelity=fidelity,
            pyramid=pyramid,
            ifra=ifra,
            cost=cost,
            count=count,
            wanted=wanted,
            excluded=excluded,
            total=total,
            compliant=excess == 0,
        )
