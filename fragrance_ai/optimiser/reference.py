"""The reference optimiser: deterministic, and the yardstick for PPO and the GA.

Candidates are chosen for the brief, then SLSQP climbs the objective from several
deterministic starts; the best result is pruned of tiny amounts (and cut to the
maximum count) and climbed again on what remains.
"""

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from fragrance_ai.catalog import Catalog, load_catalog
from fragrance_ai.objective import ScoringProblem, assemble_formula
from fragrance_ai.objective.constants import PRESENT_PERCENT, ROLES
from fragrance_ai.objective.dosing import accord_for, effective_percent
from fragrance_ai.objective.profile import pyramid_target
from fragrance_ai.objective.scoring import satisfies
from fragrance_ai.optimiser.candidates import relevance, select_candidates
from fragrance_ai.optimiser.cheapest import (
    BUDGET_MARGIN,
    Cheapest,
    cheapest_formula,
    check_feasible,
)
from fragrance_ai.optimiser.hard_limits import HardLimits, lower_bounds, upper_bounds
from fragrance_ai.optimiser.search import Search
from fragrance_ai.regulation import Regulation, load_regulation
from schemas.brief import Brief
from schemas.formula import Formula
from schemas.material import Material

RANDOM_STARTS = 3
SCREENED = 2048
START_SEED = 20240601
PRUNE_PERCENT = 0.1
"""Amounts below this % of the concentrate are dropped before the final climb."""
PRUNE_ROUNDS = 3


class OptimisationResult(BaseModel):
    """The best formula found and how it was found."""

    model_config = ConfigDict(frozen=True)

    formula: Formula = Field(description="The optimised, scored formula")
    candidates: list[str] = Field(description="Catalog ids the optimiser chose among")
    objective: float = Field(description="The objective's total for the formula")
    evaluations: int = Field(description="Formulas scored during the search")


def optimise(
    brief: Brief, catalog: Catalog | None = None, regulation: Regulation | None = None
) -> OptimisationResult:
    """Maximise ScoringProblem(brief, candidates).total over the percentages, with the
    percentages summing to 100, every IFRA standard of the brief's category met by
    substance within its safety margin, no excluded material, at most
    brief.max_materials materials and the wanted ones present.

    Raises a FormulationError subclass when the brief cannot be met, BudgetTooLowError
    (with the cheapest compliant cost) when its budget is out of reach."""
    catalog = catalog or load_catalog()
    regulation = regulation or load_regulation()
    cheapest = check_feasible(brief, catalog, regulation)
    cost_cap = _cost_cap(brief, cheapest)
    candidates, fallback = _reachable(
        select_candidates(brief, catalog, regulation=regulation),
        brief,
        catalog,
        regulation,
        cheapest,
        cost_cap,
    )
    search = _build_search(brief, candidates, regulation, cost_cap)
    climbs = [search.climb(s) for s in (*_starts(brief, candidates, search), fallback)]
    best = max(climbs, key=lambda x: (search.acceptable(x, len(x)), search.total(x)))
    # pruning climbs again on a smaller support and can land lower: keep the better
    finals = (_without_traces(search, _prune(brief, search, best)), _without_traces(search, best))
    kept = [x for x in finals if search.acceptable(x, brief.max_materials)]
    best = max(kept, key=search.total) if kept else fallback
    formula = assemble_formula(
        {m.id: float(p) for m, p in zip(candidates, best, strict=True) if p > 0},
        brief,
        catalog,
        regulation,
    )
    _check(formula, brief)
    return OptimisationResult(
        formula=formula,
        candidates=[m.id for m in candidates],
        objective=formula.score.total,
        evaluations=search.evaluations,
    )


def _without_traces(search: Search, x: np.ndarray) -> np.ndarray:
    """Traces below PRESENT_PERCENT, which the formula would drop and rescale the rest
    for (past their caps), taken out and their share given back within the bounds."""
    trace = (x > 0) & (x < PRESENT_PERCENT)
    if not trace.any():
        return x
    return search.project(np.where(trace, 0.0, x), np.where(trace, 0.0, search.upper))


def _cost_cap(brief: Brief, cheapest: Cheapest) -> float | None:
    """The most the search may spend per kg: the budget, less a margin for rounding
    where the cheapest formula leaves room for one."""
    if brief.budget_per_kg is None:
        return None
    return max(brief.budget_per_kg - BUDGET_MARGIN, cheapest.cost_per_kg)


def _reachable(
    candidates: list[Material],
    brief: Brief,
    catalog: Catalog,
    regulation: Regulation,
    cheapest: Cheapest,
    cost_cap: float | None,
) -> tuple[list[Material], np.ndarray]:
    """The candidates, joined by the materials of the cheapest compliant formula when
    they cannot on their own fill 100% within IFRA bounds and the budget; and the
    cheapest formula on them, which meets every hard constraint and is the fallback."""
    own = cheapest_formula(brief, candidates, regulation)
    if own is None or (cost_cap is not None and own.cost_per_kg > cost_cap):
        ids = {m.id for m in candidates} | set(cheapest.percents)
        candidates, own = [m for m in catalog if m.id in ids], cheapest
    return candidates, np.array([own.percents.get(m.id, 0.0) for m in candidates])


def _check(formula: Formula, brief: Brief) -> None:
    within_budget = (
        brief.budget_per_kg is None or formula.cost_per_kg_concentrate <= brief.budget_per_kg + 0.01
    )
    if not (formula.ifra_compliant and within_budget and len(formula.lines) <= brief.max_materials):
        raise RuntimeError("the reference optimiser produced a formula outside its constraints")


def _build_search(
    brief: Brief, candidates: Sequence[Material], regulation: Regulation, cost_cap: float | None
) -> Search:
    problem = ScoringProblem.compile(brief, candidates, regulation)
    groups = [
        np.array([k for k, m in enumerate(candidates) if satisfies(m, note)])
        for note in brief.wanted_notes
        if accord_for(note) is None  # an accord's members are held by their lower bounds
    ]
    return Search(
        problem=problem,
        lower=lower_bounds(brief, candidates, problem.regulation),
        upper=upper_bounds(problem.regulation, candidates, brief),
        note_groups=[g for g in groups if len(g)],
        doses=np.array([effective_percent(m) for m in candidates]),
        cost_cap=cost_cap,
    )


def _starts(brief: Brief, candidates: Sequence[Material], search: Search) -> list[np.ndarray]:
    """The pyramid target split evenly within each role, relevance-weighted, uniform,
    a few seeded random points, then the best of SCREENED seeded random formulas within
    the hard limits, scored in one batch (the compressive fidelity leaves local optima a
    random point can beat): the same starts for the same brief every time."""
    target = pyramid_target(brief)
    role_size = {r: sum(m.role is r for m in candidates) for r in ROLES}
    by_role = np.array([target[m.role] / role_size[m.role] for m in candidates])
    weights = np.array([max(relevance(m, brief), 1e-3) for m in candidates])
    rng = np.random.default_rng(START_SEED)
    k = len(candidates)
    return [
        by_role,
        100.0 * weights / weights.sum(),
        np.full(k, 100.0 / k),
        *(100.0 * rng.dirichlet(np.ones(k)) for _ in range(RANDOM_STARTS)),
        _screened(search, rng),
    ]


def _screened(search: Search, rng: np.random.Generator) -> np.ndarray:
    batch = HardLimits.of(search.problem).project(
        100.0 * rng.dirichlet(np.ones(search.problem.size), SCREENED)
    )
    search.evaluations += SCREENED
    return batch[int(np.argmax(search.problem.score_batch(batch).total))]


def _prune(brief: Brief, search: Search, x: np.ndarray) -> np.ndarray:
    """Drop amounts under PRUNE_PERCENT and keep at most max_materials (wanted materials
    and the largest carrier of each wanted note always stay), then climb again."""
    for _ in range(PRUNE_ROUNDS):
        keep = (x >= PRUNE_PERCENT) | (search.lower > 0)
        for group in search.note_groups:
            keep[group[np.argmax(x[group])]] = True
        if keep.sum() > brief.max_materials:
            priority = np.where(search.lower > 0, np.inf, x)
            keep[:] = False
            keep[np.argsort(-priority, kind="stable")[: brief.max_materials]] = True
        if keep.all() or (x[~keep] == 0).all():
            return x
        x = search.climb(np.where(keep, x, 0.0), np.where(keep, search.upper, 0.0))
    return x
