"""Per-material bounds and the substance constraints every optimiser must respect,
all in % of the concentrate, derived from the brief's compiled IFRA limits."""

from collections.abc import Sequence

import numpy as np

from fragrance_ai.objective.constants import PRESENT_PERCENT
from fragrance_ai.optimiser.errors import ContradictoryBriefError
from fragrance_ai.regulation import SubstanceLimits
from schemas.brief import Brief
from schemas.material import Material

WANTED_MIN_PERCENT = 0.5
"""A wanted material is held at least at this % of the concentrate (less where IFRA
allows less), comfortably above the objective's PRESENT_PERCENT threshold."""


def upper_bounds(limits: SubstanceLimits) -> np.ndarray:
    """Most % of the concentrate per material on its own: 0 when it holds a substance
    the brief's category prohibits, 100 when it holds nothing restricted."""
    return limits.percent_caps()


def substance_constraints(limits: SubstanceLimits) -> tuple[np.ndarray, np.ndarray]:
    """(A, b) with A @ percents <= b: one row per restricted standard, so that materials
    sharing a substance share its limit."""
    budgets = limits.concentrate_budgets()
    finite = np.isfinite(budgets) & (budgets > 0)
    return limits.contents[:, finite].T, budgets[finite]


def lower_bounds(
    brief: Brief, materials: Sequence[Material], limits: SubstanceLimits
) -> np.ndarray:
    """Least % per material: WANTED_MIN_PERCENT (or less where IFRA allows less) for
    wanted materials, 0 for the others. Raises ContradictoryBriefError, naming the
    standard and the largest dose it allows, when IFRA leaves a wanted material no room."""
    upper = upper_bounds(limits)
    lower = np.zeros(len(materials))
    for k, m in enumerate(materials):
        if m.id in brief.wanted_materials:
            if upper[k] < 2 * PRESENT_PERCENT:
                raise ContradictoryBriefError(_no_room(brief, m, limits, k, upper[k]))
            lower[k] = min(WANTED_MIN_PERCENT, upper[k])
    return lower


def _no_room(brief: Brief, material: Material, limits: SubstanceLimits, k: int, cap: float) -> str:
    standard = limits.blocking(k)
    name = standard.name if standard else "an IFRA standard"
    where = f"IFRA category {limits.category} ({brief.product.value.replace('_', ' ')})"
    if cap <= 0:
        return f"the brief wants {material.id}, but the IFRA standard on {name} prohibits it in {where}"
    return (
        f"the brief wants {material.id}, but the IFRA standard on {name} allows at most "
        f"{cap:.3g}% of it in the concentrate in {where}, at {limits.load:g}% in the product"
    )
