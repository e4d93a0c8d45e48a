"""Per-material bounds on % of the concentrate that every optimiser must respect."""

from collections.abc import Sequence

import numpy as np

from fragrance_ai.objective.constants import DILUTION_PERCENT, PRESENT_PERCENT
from fragrance_ai.optimiser.errors import ContradictoryBriefError
from schemas.brief import Brief
from schemas.material import Material

IFRA_MARGIN_PERCENT = 1e-3
"""Kept below each IFRA bound so that rounding the formula to 4 decimals stays compliant."""

WANTED_MIN_PERCENT = 0.5
"""A wanted material is held at least at this % of the concentrate (less where IFRA
allows less), comfortably above the objective's PRESENT_PERCENT threshold."""


def upper_bounds(brief: Brief, materials: Sequence[Material]) -> np.ndarray:
    """Most % of the concentrate per material: limit * 100 / dilution for IFRA-restricted
    materials (so the finished product stays within the limit), else 100."""
    dilution = DILUTION_PERCENT[brief.concentration]
    return np.array(
        [
            100.0
            if m.ifra_limit_pct is None
            else min(100.0, m.ifra_limit_pct * 100.0 / dilution - IFRA_MARGIN_PERCENT)
            for m in materials
        ]
    )


def lower_bounds(brief: Brief, materials: Sequence[Material], upper: np.ndarray) -> np.ndarray:
    """Least % per material: WANTED_MIN_PERCENT (or its IFRA bound) for wanted materials,
    0 for the others. Raises ContradictoryBriefError when IFRA forbids a wanted
    material from being present at all."""
    lower = np.zeros(len(materials))
    for k, m in enumerate(materials):
        if m.id in brief.wanted_materials:
            if upper[k] < 2 * PRESENT_PERCENT:
                raise ContradictoryBriefError(
                    f"the brief wants {m.id}, but its IFRA limit ({m.ifra_limit_pct}% of the "
                    f"finished product) leaves no room for it in a {brief.concentration.value}"
                )
            lower[k] = min(WANTED_MIN_PERCENT, upper[k])
    return lower
