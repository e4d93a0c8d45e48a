"""The objective, one formula at a time: the readable reference for `batch.py`."""

import math
from collections.abc import Mapping

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
    wanted_items,
)
from fragrance_ai.objective.profile import odour_vector, potency, pyramid_target, target_vector
from fragrance_ai.regulation import Regulation, load_regulation
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
