"""From an optimiser's percentages to a `Formula` that scores as they did."""

import numpy as np

from fragrance_ai.catalog import Catalog
from fragrance_ai.objective import ScoringProblem, assemble_formula
from fragrance_ai.objective.constants import PRESENT_PERCENT
from fragrance_ai.optimiser.projection import HardLimits
from schemas.formula import Formula


def formula_from_percents(
    problem: ScoringProblem, percents: np.ndarray, catalog: Catalog
) -> Formula:
    """Drop traces below PRESENT_PERCENT and bring the rest back to 100 within the hard
    limits here, because `assemble_formula` would rescale a material sitting at an IFRA
    limit past it when it drops the traces itself."""
    kept = np.where(percents >= PRESENT_PERCENT, percents, 0.0)
    limits = HardLimits.of(problem)
    final = limits.project(np.where(kept > 0, kept, 0.0))
    final = np.where(kept > 0, final, 0.0)
    final = limits.project(final)
    by_id = {m.id: float(p) for m, p in zip(problem.materials, final, strict=True) if p > 0}
    return assemble_formula(by_id, problem.brief, catalog)
