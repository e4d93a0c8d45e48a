"""The cheapest compliant formula, by linear programming, to tell a brief that its
budget cannot be met and what it would take."""

import numpy as np
from scipy.optimize import linprog

from fragrance_ai.catalog import Catalog
from fragrance_ai.objective.scalar import is_excluded
from fragrance_ai.optimiser.bounds import lower_bounds, upper_bounds
from fragrance_ai.optimiser.errors import BudgetTooLowError, NoCandidatesError
from schemas.brief import Brief


def cheapest_cost_per_kg(brief: Brief, catalog: Catalog) -> float:
    """Least cost per kg of concentrate over all materials the brief allows, with the
    percentages summing to 100, within IFRA bounds, and wanted materials present.

    The maximum count is relaxed, so this is a lower bound: no formula that meets
    the brief's hard constraints can cost less."""
    allowed = [m for m in catalog if not is_excluded(m, brief)]
    if not allowed:
        raise NoCandidatesError("the brief's exclusions rule out every material in the catalog")
    upper = upper_bounds(brief, allowed)
    lower = lower_bounds(brief, allowed, upper)
    result = linprog(
        c=np.array([m.cost_per_kg for m in allowed]) / 100.0,
        A_eq=np.ones((1, len(allowed))),
        b_eq=[100.0],
        bounds=list(zip(lower, upper, strict=True)),
        method="highs",
    )
    if result.status == 2:
        raise NoCandidatesError(
            "the materials the brief allows cannot make up 100% of a formula within "
            "their IFRA limits"
        )
    if not result.success:
        raise RuntimeError(f"the cheapest-formula linear programme failed: {result.message}")
    return float(result.fun)


def check_budget(brief: Brief, catalog: Catalog) -> None:
    """Raise BudgetTooLowError, with the cheapest possible cost, when the budget is unreachable."""
    if brief.budget_per_kg is None:
        return
    cheapest = cheapest_cost_per_kg(brief, catalog)
    if cheapest > brief.budget_per_kg + 1e-9:
        raise BudgetTooLowError(brief.budget_per_kg, cheapest)
