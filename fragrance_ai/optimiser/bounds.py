"""Per-material bounds and the substance constraints every optimiser must respect,
all in % of the concentrate, derived from the brief's compiled IFRA limits and the
materials' typical maximum use."""

from collections.abc import Sequence

import numpy as np

from fragrance_ai.interpreter.errors import ContradictoryBriefError
from fragrance_ai.objective.constants import PRESENT_PERCENT
from fragrance_ai.objective.dosing import effective_percent, held_members, material_caps
from fragrance_ai.regulation import SubstanceLimits
from schemas.brief import Brief
from schemas.material import Material

WANTED_ROOM_PERCENT = 90.0
"""The most the wanted materials' effective doses may take together, leaving the rest
of the formula room; beyond it they are scaled down together."""


def upper_bounds(
    limits: SubstanceLimits, materials: Sequence[Material], brief: Brief
) -> np.ndarray:
    """Most % of the concentrate per material on its own (dosing.material_caps): the
    smallest of its IFRA cap (0 when it holds a substance the brief's category prohibits),
    its typical maximum use and, without a budget, its cost cap."""
    return material_caps(limits, materials, brief)


def substance_constraints(limits: SubstanceLimits) -> tuple[np.ndarray, np.ndarray]:
    """(A, b) with A @ percents <= b: one row per restricted standard, so that materials
    sharing a substance share its limit."""
    budgets = limits.concentrate_budgets()
    finite = np.isfinite(budgets) & (budgets > 0)
    return limits.contents[:, finite].T, budgets[finite]


def held_percent(material: Material) -> float:
    """The dose a wanted or accord material is held at: its effective dose, but never
    below twice the trace a formula drops (PRESENT_PERCENT), so that a potent material
    used at 0.015% (nonadienal) is not dropped from the formula it was asked for."""
    return max(effective_percent(material), 2 * PRESENT_PERCENT)


def lower_bounds(
    brief: Brief, materials: Sequence[Material], limits: SubstanceLimits
) -> np.ndarray:
    """Least % per material: its effective dose (or less where IFRA or its use level
    allows less) for wanted materials and the materials that answer the brief's notes and
    style (dosing.held_members: accords, namesakes), 0 for the others; wanted materials whose doses
    together pass WANTED_ROOM_PERCENT are scaled down together. Raises
    ContradictoryBriefError, naming the standard and the largest dose it allows, when
    IFRA leaves a wanted material no room."""
    upper = upper_bounds(limits, materials, brief)
    lower = np.zeros(len(materials))
    members = set(held_members(brief, [m.id for m in materials]))
    for k, m in enumerate(materials):
        if m.id in members:
            lower[k] = min(held_percent(m), upper[k])
        if m.id in brief.wanted_materials:
            if upper[k] < 2 * PRESENT_PERCENT:
                raise ContradictoryBriefError(_no_room(brief, m, limits, k, upper[k]))
            lower[k] = min(held_percent(m), upper[k])
    if lower.sum() > WANTED_ROOM_PERCENT:
        lower *= WANTED_ROOM_PERCENT / lower.sum()
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
