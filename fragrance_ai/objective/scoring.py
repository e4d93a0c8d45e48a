"""The objective: how good a formula is for a brief, one formula at a time and over a
batch.

`score` and `score_shares` take one formula, part by part: the readable reference.
`ScoringProblem.compile(brief, materials)` turns a brief and K candidate materials
into arrays once; `score_batch(percents)` then scores a (B, K) array of percentages in
numpy with the same formulas, which the tests hold it to within 1e-6.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from fragrance_ai.catalog import Catalog, load_catalog
from fragrance_ai.objective.constants import (
    HARD_PENALTY,
    PRESENT_PERCENT,
    ROLES,
    ROUNDING_PERCENT,
    STEVENS_EXPONENT,
    WEIGHTS,
)
from fragrance_ai.objective.dosing import (
    accord_coverage,
    accord_for,
    budget_per_kg,
    effective_percent,
    use_caps,
    wanted_items,
)
from fragrance_ai.objective.profile import odour_vector, potency, pyramid_target, target_vector
from fragrance_ai.regulation import Regulation, SubstanceLimits, load_regulation
from schemas.brief import Brief
from schemas.formula import Formula, ScoreParts
from schemas.material import Material


def is_excluded(material: Material, brief: Brief) -> bool:
    """True when the brief rules this material out by id, family or descriptor."""
    return (
        material.id in brief.excluded_materials
        or material.family in brief.excluded_families
        or any(d in brief.excluded_notes for d in material.descriptors)
    )


def satisfies(material: Material, wanted: str) -> bool:
    """True when the material answers a wanted material id or note."""
    return material.id == wanted or wanted in material.descriptors


def fidelity(shares: dict[Material, float], brief: Brief) -> float:
    """cos(P, T): P = sum_i (q_i / t_i)^n * v_i, T the brief's normalised family weights.

    q_i is the material's share of the concentrate, t_i its odour detection threshold
    (profile.odour_threshold_ppb) and v_i its odour vector, its own family and its
    descriptors' families weighted (profile.odour_vector). (q_i / t_i) is its odour
    value and (.)^n Stevens' power law (S. S. Stevens 1957, "On the psychophysical
    law", Psychol. Rev. 64:153), n = STEVENS_EXPONENT: perceived intensity grows as a
    compressive power of concentration over threshold, so that doubling a dose does
    not double its say, and a potent material at a trace is smelled as such."""
    profile = sum(q**STEVENS_EXPONENT * potency(m) * odour_vector(m) for m, q in shares.items())
    target = target_vector(brief.family_weights)
    norm = float(np.linalg.norm(profile) * np.linalg.norm(target))
    return float(np.dot(profile, target)) / norm if norm > 0 else 0.0


def pyramid_balance(shares: dict[Material, float], brief: Brief) -> float:
    """1 - sum_r |R_r - T_r| / 200, where R_r is the % of the concentrate in role r and
    T_r the brief's target % (profile.pyramid_target: its concentration and its
    character); 1 on target, 0 at worst."""
    target = pyramid_target(brief)
    distance = 0.0
    for role in ROLES:
        actual = 100.0 * sum(q for m, q in shares.items() if m.role is role)
        distance += abs(actual - target[role])
    return 1.0 - distance / 200.0


def ifra_excess(
    shares: dict[Material, float], brief: Brief, regulation: Regulation | None = None
) -> float:
    """sum_j max(0, A_j - M L_j) / (M L_j) over the IFRA standards j of the brief's
    category: A_j the % of standard j's substances in the finished product, summed over
    every material that holds them (regulation.compliance), L_j its limit and M the
    brief's safety margin; 0 when compliant."""
    materials = list(shares)
    limits = (regulation or load_regulation()).compile(brief, materials)
    return float(limits.excess(np.array([shares[m] for m in materials]))[0])


def cost_score(shares: dict[Material, float], brief: Brief) -> float:
    """1 when c <= B, else (B / c)^2, with c = sum_i q_i * cost_i and B the brief's
    budget or its default (budget_per_kg): cost always counts."""
    cost = sum(q * m.cost_per_kg for m, q in shares.items())
    budget = budget_per_kg(brief)
    return 1.0 if cost <= budget else (budget / cost) ** 2


def count_score(present: list[Material], brief: Brief) -> float:
    """1 when n <= max_materials, else max_materials / n."""
    n = len(present)
    return 1.0 if n <= brief.max_materials else brief.max_materials / n


def wanted_score(shares: dict[Material, float], brief: Brief) -> float:
    """Mean over the wanted materials, notes and style w of how far each is met: by its
    accord where one answers it (dosing.accord_coverage), else min(1, sum_k 100 q_k /
    d_k), k the materials answering w and d_k their effective dose
    (dosing.effective_percent); 1 if nothing is wanted."""
    wanted = wanted_items(brief)
    if not wanted:
        return 1.0
    doses = {m.id: 100.0 * q / effective_percent(m) for m, q in shares.items()}
    met = []
    for w in wanted:
        accord = accord_for(w)
        if accord is not None:
            met.append(accord_coverage(doses, accord))
        else:
            met.append(min(1.0, sum(doses[m.id] for m in shares if satisfies(m, w))))
    return sum(met) / len(wanted)


def use_excess(shares: dict[Material, float]) -> float:
    """sum_k max(0, 100 q_k - U_k - r) / U_k over materials with a typical maximum use
    U_k, r the rounding of a printed line (ROUNDING_PERCENT); 0 within use levels."""
    return sum(
        max(0.0, 100.0 * q - m.max_use_percent - ROUNDING_PERCENT) / m.max_use_percent
        for m, q in shares.items()
        if m.max_use_percent is not None
    )


def excluded_score(present: list[Material], brief: Brief) -> float:
    """1 when no present material is excluded by the brief, else 0."""
    return 0.0 if any(is_excluded(m, brief) for m in present) else 1.0


def score_shares(
    shares: dict[Material, float], brief: Brief, regulation: Regulation | None = None
) -> ScoreParts:
    """Score materials with their shares of the concentrate (fractions summing to 1)."""
    present = [m for m, q in shares.items() if 100.0 * q >= PRESENT_PERCENT]
    excess = ifra_excess(shares, brief, regulation)
    overuse = use_excess(shares)
    parts = {
        "fidelity": fidelity(shares, brief),
        "pyramid": pyramid_balance(shares, brief),
        "ifra": math.exp(-excess),
        "cost": cost_score(shares, brief),
        "count": count_score(present, brief),
        "wanted": wanted_score(shares, brief),
        "excluded": excluded_score(present, brief),
    }
    total = sum(WEIGHTS[name] * value for name, value in parts.items())
    if excess > 0:
        total -= HARD_PENALTY + excess
    if overuse > 0:
        total -= HARD_PENALTY + overuse
    if parts["excluded"] == 0.0:
        total -= HARD_PENALTY
    return ScoreParts(**parts, total=total)


def score(
    formula: Formula | Mapping[str, float],
    brief: Brief,
    catalog: Catalog | None = None,
    regulation: Regulation | None = None,
) -> ScoreParts:
    """Score a formula (or a mapping of material id to percent) against a brief.

    Percentages are normalised to shares of the concentrate first, so any positive
    scale works. The total is the WEIGHTS-weighted sum of the parts; an IFRA breach
    (by substance, against the limit times the safety margin) subtracts HARD_PENALTY
    plus the relative excess, so does a material above its typical maximum use, and an
    excluded material present
    subtracts HARD_PENALTY, so every infeasible formula scores below every feasible one.
    """
    catalog = catalog or load_catalog()
    percents = (
        {line.material_id: line.percent for line in formula.lines}
        if isinstance(formula, Formula)
        else dict(formula)
    )
    total = sum(percents.values())
    if total <= 0:
        raise ValueError("a formula needs at least one positive percentage")
    shares = {catalog.get(i): p / total for i, p in percents.items() if p > 0}
    return score_shares(shares, brief, regulation)


# The same objective over a batch, in numpy.
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
