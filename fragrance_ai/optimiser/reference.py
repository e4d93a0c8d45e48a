"""The reference optimiser: deterministic, and the yardstick for PPO and the GA.

Candidates are chosen for the brief, then SLSQP climbs the objective from several
deterministic starts; the best result is pruned of tiny amounts (and cut to the
maximum count) and climbed again on what remains.

SLSQP searches the percentages of one candidate set (`Search`), scored by the batch
objective. Inside the bounds and the substance constraints (linear: materials sharing
a regulated substance share its limit) the IFRA, excluded and count parts of the
objective are constant, the wanted parts are held by constraints and the budget is a
linear constraint, so the search climbs the continuous parts (fidelity, pyramid,
cost); formulas are compared on the full total.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from scipy.optimize import minimize

from fragrance_ai.catalog import Catalog, load_catalog
from fragrance_ai.objective import ScoringProblem, assemble_formula
from fragrance_ai.objective.constants import PRESENT_PERCENT, ROLES, WEIGHTS
from fragrance_ai.objective.dosing import accord_for, effective_percent
from fragrance_ai.objective.profile import pyramid_target
from fragrance_ai.objective.scoring import satisfies
from fragrance_ai.optimiser.candidates import relevance, select_candidates
from fragrance_ai.optimiser.hard_limits import (
    BUDGET_MARGIN,
    Cheapest,
    HardLimits,
    cheapest_formula,
    check_feasible,
    lower_bounds,
    project_to_limits,
    substance_constraints,
    upper_bounds,
)
from fragrance_ai.regulation import Regulation, load_regulation
from schemas.brief import Brief
from schemas.formula import Formula
from schemas.material import Material

# SLSQP over one candidate set.
FD_STEP = 1e-6
"""Forward-difference step, in % of the concentrate."""

SLSQP_OPTIONS = {"maxiter": 300, "ftol": 1e-10}


def project(x: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Euclidean projection onto {sum = 100, lower <= x <= upper}, by bisection on the
    shift t in clip(x - t, lower, upper)."""
    lo, hi = float(np.min(x - upper)), float(np.max(x - lower))
    for _ in range(200):
        mid = (lo + hi) / 2
        if np.clip(x - mid, lower, upper).sum() > 100.0:
            lo = mid
        else:
            hi = mid
    return np.clip(x - (lo + hi) / 2, lower, upper)


@dataclass
class Search:
    """One candidate set with its bounds and wanted-note groups; counts evaluations."""

    problem: ScoringProblem
    lower: np.ndarray
    upper: np.ndarray
    note_groups: Sequence[np.ndarray]  # per wanted note: indices of candidates carrying it
    doses: np.ndarray  # (K,) each candidate's effective dose, %
    cost_cap: float | None  # most cost per kg of concentrate; None: no budget
    evaluations: int = field(default=0)

    def project(self, x: np.ndarray, upper: np.ndarray | None = None) -> np.ndarray:
        """The nearest point summing to 100 within the bounds; then, only if a substance
        budget is still exceeded, its holders are scaled down (project_to_limits)."""
        upper = self.upper if upper is None else upper
        x = project(x, self.lower, upper)
        shared, budgets = substance_constraints(self.problem.regulation)
        if (shared @ x > budgets).any():
            x = project_to_limits(x, upper, shared.T, budgets)
        return x

    def total(self, x: np.ndarray) -> float:
        self.evaluations += 1
        return float(self.problem.score_batch(x).total[0])

    def _smooth(self, batch: np.ndarray) -> np.ndarray:
        self.evaluations += len(batch)
        s = self.problem.score_batch(batch)
        return (
            WEIGHTS["fidelity"] * s.fidelity
            + WEIGHTS["pyramid"] * s.pyramid
            + WEIGHTS["cost"] * s.cost
        )

    def _loss_and_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        batch = np.vstack([x, x + FD_STEP * np.eye(len(x))])
        values = self._smooth(batch)
        return -float(values[0]), -(values[1:] - values[0]) / FD_STEP

    def acceptable(self, x: np.ndarray, max_materials: int) -> bool:
        """Within the budget, the maximum count, the sum and every substance budget (a
        projection that found no room for all of them leaves one broken)."""
        within_budget = (
            self.cost_cap is None or self.problem.costs @ x / 100.0 <= self.cost_cap + 1e-6
        )
        shared, budgets = substance_constraints(self.problem.regulation)
        within_limits = bool((shared @ x <= budgets * (1 + 1e-6)).all())
        filled = abs(float(x.sum()) - 100.0) <= 1e-6
        return within_budget and within_limits and filled and int((x > 0).sum()) <= max_materials

    def climb(self, start: np.ndarray, upper: np.ndarray | None = None) -> np.ndarray:
        """SLSQP from `start`; `upper` can pin materials to 0 to search a smaller support.
        Wanted notes yield to the budget: when both cannot hold, the notes are let go."""
        upper = self.upper if upper is None else upper
        x = self._slsqp(start, upper, with_notes=True)
        if self.note_groups and not self.acceptable(x, len(x)):
            x = self._slsqp(start, upper, with_notes=False)
        return x

    def _slsqp(self, start: np.ndarray, upper: np.ndarray, with_notes: bool) -> np.ndarray:
        notes = self.note_groups if with_notes else ()
        constraints = [
            {
                "type": "eq",
                "fun": lambda x: np.array([x.sum() - 100.0]),
                "jac": lambda x: np.ones((1, len(x))),
            },
            *(self._note_constraint(group, upper) for group in notes),
            *self._budget_constraint(),
            *self._substance_constraint(),
        ]
        result = minimize(
            self._loss_and_grad,
            self.project(start, upper),
            jac=True,
            method="SLSQP",
            bounds=list(zip(self.lower, upper, strict=True)),
            constraints=constraints,
            options=SLSQP_OPTIONS,
        )
        return self.project(result.x, upper)

    def _note_constraint(self, group: np.ndarray, upper: np.ndarray) -> dict[str, object]:
        """The note's carriers add up to one effective dose between them,
        sum_k x_k / d_k >= 1 (dosing), or half of what their caps allow if less."""
        row = np.zeros(len(upper))
        row[group] = 1.0 / self.doses[group]
        least = min(1.0, float(row @ upper) / 2)
        return {
            "type": "ineq",
            "fun": lambda x: np.array([row @ x - least]),
            "jac": lambda x: row[None, :],
        }

    def _substance_constraint(self) -> list[dict[str, object]]:
        shared, budgets = substance_constraints(self.problem.regulation)
        if not len(budgets):
            return []
        return [
            {
                "type": "ineq",
                "fun": lambda x: budgets - shared @ x,
                "jac": lambda x: -shared,
            }
        ]

    def _budget_constraint(self) -> list[dict[str, object]]:
        if self.cost_cap is None:
            return []
        row = self.problem.costs / 100.0
        cap = self.cost_cap
        return [
            {
                "type": "ineq",
                "fun": lambda x: np.array([cap - row @ x]),
                "jac": lambda x: -row[None, :],
            }
        ]


# The reference optimiser.
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
    for (past their caps), taken out and their share given back within the bounds. Giving
    it back can leave another material at a trace, so this repeats until none is left;
    each round closes at least one more material, so it ends."""
    upper = search.upper
    trace = (x > 0) & (x < PRESENT_PERCENT)
    while trace.any():
        upper = np.where(trace, 0.0, upper)
        x = search.project(np.where(trace, 0.0, x), upper)
        trace = (x > 0) & (x < PRESENT_PERCENT)
    return x


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
