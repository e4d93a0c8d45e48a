"""SLSQP over the percentages of one candidate set, scored by the batch objective.

Inside the bounds and the substance constraints (linear: materials sharing a
regulated substance share its limit) the IFRA, excluded and count parts of the
objective are constant, the wanted parts are held by constraints and the budget is
a linear constraint, so
the search climbs the continuous parts (fidelity, pyramid, cost); formulas are
compared on the full total.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize

from fragrance_ai.objective import ScoringProblem
from fragrance_ai.objective.constants import WEIGHTS
from fragrance_ai.optimiser.hard_limits import project_to_limits, substance_constraints

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
