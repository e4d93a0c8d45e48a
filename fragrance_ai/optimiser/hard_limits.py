"""The hard constraints every optimiser respects, all in % of the concentrate: bounds
per material (the brief's compiled IFRA limits and the materials' typical maximum use),
the substance limits that materials sharing a substance share, and the projection that
brings any percentages back inside them. The GA's repair, PPO's dynamics and the
reference's last step all project with `HardLimits`, and every optimiser's percentages
become a `Formula` through `formula_from_percents`.

Inside the same limits, `cheapest_compliant` finds the cheapest compliant formula by
mixed-integer linear programming: it tells a brief that its budget cannot be met and
what meeting the rest would cost."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from fragrance_ai.catalog import Catalog
from fragrance_ai.interpreter.errors import ContradictoryBriefError
from fragrance_ai.objective import ScoringProblem, assemble_formula
from fragrance_ai.objective.constants import PRESENT_PERCENT
from fragrance_ai.objective.dosing import effective_percent, held_members, material_caps
from fragrance_ai.objective.scoring import is_excluded
from fragrance_ai.optimiser.errors import BudgetTooLowError, FormulationError, NoCandidatesError
from fragrance_ai.regulation import Regulation, SubstanceLimits, load_regulation
from schemas.brief import Brief
from schemas.formula import Formula
from schemas.material import Material

WANTED_ROOM_PERCENT = 90.0
"""The most the wanted materials' effective doses may take together, leaving the rest
of the formula room; beyond it they are scaled down together."""


TRACE = 1e-12
"""Shares below this (in %) count as none: dividing by a sum of subnormal shares loses
the precision the rows must keep to sum 100."""


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


def project_to_caps(percents: np.ndarray, caps: np.ndarray) -> np.ndarray:
    """Rows scaled to sum 100 with no entry above its cap: entries at or over their cap
    are pinned there and the others share the rest in proportion, until none is over."""
    p = np.where(caps > 0, np.clip(percents, 0.0, None), 0.0)
    p = np.where(p > TRACE, p, 0.0)
    empty = p.sum(axis=-1, keepdims=True) <= 0
    p = np.where(empty & (caps > 0), 1.0, p)  # a row of zeros shares its 100% evenly
    p = 100.0 * p / p.sum(axis=-1, keepdims=True)
    for _ in range(p.shape[-1]):
        if not (p > caps).any():
            break
        pinned = p >= caps
        room = 100.0 - np.where(pinned, caps, 0.0).sum(axis=-1, keepdims=True)
        free = np.where(pinned, 0.0, p)
        # where nothing unpinned holds any share yet, the room is shared evenly
        starved = free.sum(axis=-1, keepdims=True) <= TRACE
        free = np.where(starved & ~pinned & (caps > 0), 1.0, free)
        share = free.sum(axis=-1, keepdims=True)
        p = np.where(pinned, caps, free * room / np.where(share > 0, share, 1.0))
    return p


def project_to_limits(
    percents: np.ndarray, caps: np.ndarray, contents: np.ndarray, budgets: np.ndarray
) -> np.ndarray:
    """`project_to_caps`, then, while some row puts a standard j over its budget (in % of
    the concentrate, `percents @ contents <= budgets`), every material holding it is
    scaled down by budget_j / usage_j and pinned there, and the rest is shared again."""
    p = np.atleast_2d(percents)
    caps_now = np.broadcast_to(caps, p.shape).copy()
    contents = np.broadcast_to(contents, (len(p), *contents.shape[-2:]))
    held = contents > 0
    for _ in range(p.shape[-1] + contents.shape[-1] + 1):
        p = project_to_caps(p, caps_now)
        usage = np.einsum("nk,nkj->nj", p, contents)
        over = usage > budgets * (1.0 + 1e-9)
        if not over.any():
            break
        ratio = np.where(over, budgets / np.maximum(usage, TRACE), 1.0)
        scale = np.where(held, ratio[:, None, :], 1.0).min(axis=-1, initial=1.0)
        caps_now = np.where(scale < 1.0, np.minimum(caps_now, p * scale), caps_now)
    return p.reshape(np.shape(percents))


def reachable_percent(limits: SubstanceLimits, caps: np.ndarray) -> float:
    """The most % of the concentrate these materials can make up together, each within
    its cap and every standard within its substance budget (a linear programme, skipped
    when every material at its cap already keeps within the budgets: then the caps' sum
    is the answer)."""
    budgets = limits.concentrate_budgets()
    finite = np.isfinite(budgets)
    if np.all(caps @ limits.contents[:, finite] <= budgets[finite]):
        return float(caps.sum())
    reach = linprog(
        -np.ones(len(caps)),
        A_ub=limits.contents[:, finite].T if finite.any() else None,
        b_ub=budgets[finite] if finite.any() else None,
        bounds=list(zip(np.zeros(len(caps)), caps, strict=True)),
        method="highs",
    )
    return float(-reach.fun) if reach.status == 0 else 0.0


def check_fillable(limits: SubstanceLimits, caps: np.ndarray, names: list[str]) -> None:
    """Raise FormulationError, naming the standards in the way, when no mix of these
    materials within their caps and the substance budgets reaches 100%."""
    if reachable_percent(limits, caps) >= 100.0 - 1e-6:
        return
    blocking = sorted({s.name for s in limits.standards})
    raise FormulationError(
        f"the candidates ({', '.join(names)}) cannot reach 100% within their use levels "
        f"and the IFRA limits of category {limits.category}"
        + (f" (on {', '.join(blocking)})" if blocking else "")
        + " and the brief's exclusions"
    )


@dataclass(frozen=True)
class HardLimits:
    """A problem's hard constraints in % of the concentrate, for one row or a stack."""

    caps: np.ndarray
    """(K,) or (N, K): most per material; 0 when excluded or prohibited."""
    contents: np.ndarray
    """(K, J) or (N, K, J): fraction of each material that counts against standard j."""
    budgets: np.ndarray
    """(J,) or (N, J): most % of the concentrate standard j's substances may make up."""

    @classmethod
    def of(cls, problem: ScoringProblem) -> Self:
        """Raises FormulationError when the candidates cannot fill 100% within them."""
        limits = problem.regulation
        caps = np.where(
            problem.excluded_mask, 0.0, upper_bounds(limits, problem.materials, problem.brief)
        )
        check_fillable(limits, caps, [m.id for m in problem.materials])
        return cls(caps=caps, contents=limits.contents, budgets=limits.concentrate_budgets())

    @classmethod
    def stack(cls, rows: Sequence[Self], repeat: int) -> Self:
        """Each row's limits `repeat` times, standards padded to the widest row."""
        width = max(r.budgets.shape[-1] for r in rows)

        def padded(r: Self) -> tuple[np.ndarray, np.ndarray]:
            extra = width - r.budgets.shape[-1]
            return (
                np.pad(r.contents, ((0, 0), (0, extra))),
                np.pad(r.budgets, (0, extra), constant_values=np.inf),
            )

        contents, budgets = zip(*(padded(r) for r in rows), strict=True)
        return cls(
            caps=np.repeat(np.stack([r.caps for r in rows]), repeat, 0),
            contents=np.repeat(np.stack(contents), repeat, 0),
            budgets=np.repeat(np.stack(budgets), repeat, 0),
        )

    def project(self, percents: np.ndarray) -> np.ndarray:
        return project_to_limits(percents, self.caps, self.contents, self.budgets)


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


# The cheapest compliant formula.
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
