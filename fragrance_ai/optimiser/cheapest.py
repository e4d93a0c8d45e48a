"""The cheapest compliant formula, by mixed-integer linear programming: it tells a
brief that its budget cannot be met and what meeting the rest would cost."""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from fragrance_ai.catalog import Catalog
from fragrance_ai.objective.scoring import is_excluded
from fragrance_ai.optimiser.errors import BudgetTooLowError, NoCandidatesError
from fragrance_ai.optimiser.hard_limits import lower_bounds, substance_constraints, upper_bounds
from fragrance_ai.regulation import Regulation, load_regulation
from schemas.brief import Brief
from schemas.material import Material

BUDGET_MARGIN = 0.005
"""Kept under the budget so that the formula's cost, rounded to cents, stays within it."""


@dataclass(frozen=True)
class Cheapest:
    cost_per_kg: float
    percents: dict[str, float]


def cheapest_formula(
    brief: Brief, materials: Sequence[Material], regulation: Regulation | None = None
) -> Cheapest | None:
    """Least cost per kg of concentrate from `materials`, with the percentages summing
    to 100, every IFRA standard met by substance, wanted materials present and at most
    max_materials used; None when no such formula exists.

    Variables: K percentages x and K binaries z (material used); x_k <= upper_k z_k,
    and A x <= b for the substances the materials share."""
    k = len(materials)
    limits = (regulation or load_regulation()).compile(brief, materials)
    upper = upper_bounds(limits, materials, brief)
    lower = lower_bounds(brief, materials, limits)
    shared, budgets = substance_constraints(limits)
    eye = np.eye(k)
    constraints = [
        LinearConstraint(np.hstack([np.ones(k), np.zeros(k)]), 100.0, 100.0),
        LinearConstraint(np.hstack([np.zeros(k), np.ones(k)]), 0, brief.max_materials),
        LinearConstraint(np.hstack([eye, -np.diag(upper)]), -np.inf, 0.0),
    ]
    if len(budgets):
        constraints.append(
            LinearConstraint(np.hstack([shared, np.zeros_like(shared)]), -np.inf, budgets)
        )
    costs = np.array([m.cost_per_kg for m in materials]) / 100.0
    result = milp(
        c=np.concatenate([costs, np.zeros(k)]),
        integrality=np.concatenate([np.zeros(k), np.ones(k)]),
        bounds=Bounds(
            np.concatenate([lower, (lower > 0).astype(float)]), np.concatenate([upper, np.ones(k)])
        ),
        constraints=constraints,
    )
    if result.status == 2:
        return None
    if not result.success:
        raise RuntimeError(f"the cheapest-formula programme failed: {result.message}")
    percents = {m.id: float(x) for m, x in zip(materials, result.x[:k], strict=True) if x > 1e-9}
    return Cheapest(cost_per_kg=float(result.fun), percents=percents)


def cheapest_compliant(
    brief: Brief, catalog: Catalog, regulation: Regulation | None = None
) -> Cheapest:
    """The cheapest formula over every material the brief allows; raises
    NoCandidatesError when none meets the brief's hard constraints at all."""
    allowed = [m for m in catalog if not is_excluded(m, brief)]
    if not allowed:
        raise NoCandidatesError("the brief's exclusions rule out every material in the catalog")
    cheapest = cheapest_formula(brief, allowed, regulation)
    if cheapest is None:
        raise NoCandidatesError(
            f"no {brief.max_materials} of the materials the brief allows can make up 100% "
            "of a formula within the IFRA limits of its product category"
        )
    return cheapest


def check_feasible(
    brief: Brief, catalog: Catalog, regulation: Regulation | None = None
) -> Cheapest:
    """The cheapest compliant formula; BudgetTooLowError, naming its cost, when even
    that is over the brief's budget."""
    cheapest = cheapest_compliant(brief, catalog, regulation)
    budget = brief.budget_per_kg
    if budget is not None and cheapest.cost_per_kg > budget - BUDGET_MARGIN:
        raise BudgetTooLowError(budget, cheapest.cost_per_kg)
    return cheapest
