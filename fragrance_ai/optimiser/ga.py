"""NSGA-II over percentages (DEAP): the objective's total up, the cost per kg down.

The first objective is the domain's total score, not fidelity alone, so the front
trades the one objective (DESIGN.md invariant 1) against money and its best-scoring
end is directly comparable with PPO and the reference optimiser. Constraints are
kept by repair rather than penalty: excluded materials never enter the candidates,
and every child is projected onto "sums to 100 with every IFRA standard met by
substance" (optimiser.hard_limits) before it is scored. A generation's children are scored in one `score_batch`
call. Variation is vectorised numpy (simulated binary crossover, polynomial
mutation) drawn from one seeded generator, so runs are reproducible and independent
of the process-wide `random` state; DEAP does the non-dominated sorting (its
log-time variant), crowding and selection.
"""

from dataclasses import dataclass

import numpy as np
from deap import base, tools
from pydantic import BaseModel, Field

from fragrance_ai.catalog import Catalog, load_catalog
from fragrance_ai.objective import ScoringProblem
from fragrance_ai.optimiser.candidates import select_candidates
from fragrance_ai.optimiser.hard_limits import HardLimits, formula_from_percents
from schemas.brief import Brief
from schemas.formula import Formula


@dataclass(frozen=True)
class GAConfig:
    """Settings of one NSGA-II run."""

    population_size: int = 100
    """Formulas kept each generation (and children made per generation)."""
    generations: int = 60
    """Generations after the initial population."""
    n_candidates: int | None = None
    """Candidate materials (default: the brief's max_materials)."""
    crossover_eta: float = 15.0
    """Distribution index of simulated binary crossover: higher keeps children nearer parents."""
    mutation_eta: float = 20.0
    """Distribution index of polynomial mutation."""
    mutation_rate: float | None = None
    """Chance each gene mutates (default: 1 / number of candidates)."""
    drop_rate: float = 0.2
    """Chance a child has one material set to 0, so that sparse formulas are explored."""
    batch_evaluation: bool = True
    """Score a generation in one batch call; False scores one formula at a time."""
    seed: int = 0
    """Seed of every random draw."""

    def __post_init__(self) -> None:
        if self.population_size < 4 or self.population_size % 2:
            raise ValueError(f"population_size must be even and >= 4, got {self.population_size}")
        if self.generations < 0:
            raise ValueError(f"generations must be >= 0, got {self.generations}")


class FitnessTotalCost(base.Fitness):
    weights = (1.0, -1.0)


class ParetoFormula(BaseModel):
    formula: Formula = Field(description="A formula of the Pareto front")
    total: float = Field(description="Its objective")
    cost_per_kg: float = Field(description="Its cost, USD per kg of concentrate")


class GAResult(BaseModel):
    best: Formula = Field(description="The formula of the front with the best objective")
    best_total: float = Field(description="Its objective, before rounding into the formula")
    front: tuple[ParetoFormula, ...] = Field(description="Distinct formulas, cheapest first")
    evaluations: int = Field(description="Formulas scored")
    generations: int = Field(description="Generations run")


class _Individual:
    """A row of the population matrix, as DEAP's selection sees it."""

    def __init__(self, row: int, values: tuple[float, float]) -> None:
        self.row = row
        self.fitness = FitnessTotalCost(values)


def optimise_with_ga(
    brief: Brief, config: GAConfig | None = None, catalog: Catalog | None = None
) -> GAResult:
    config = config or GAConfig()
    catalog = catalog or load_catalog()
    problem = ScoringProblem.compile(brief, select_candidates(brief, catalog, config.n_candidates))
    limits = HardLimits.of(problem)
    caps = limits.caps
    rng = np.random.default_rng(config.seed)
    population = limits.project(rng.dirichlet(np.ones(problem.size), config.population_size) * caps)
    fitness = _evaluate(problem, population, config.batch_evaluation)
    evaluations = len(population)
    for _ in range(config.generations):
        children = limits.project(_vary(population, caps, config, rng))
        union = np.concatenate([population, children])
        union_fitness = np.concatenate(
            [fitness, _evaluate(problem, children, config.batch_evaluation)]
        )
        evaluations += len(children)
        kept = [
            ind.row
            for ind in tools.selNSGA2(_individuals(union_fitness), config.population_size, nd="log")
        ]
        population, fitness = union[kept], union_fitness[kept]
    return _result(problem, population, fitness, catalog, evaluations, config.generations)


def _evaluate(problem: ScoringProblem, percents: np.ndarray, batch: bool) -> np.ndarray:
    """(total, cost per kg) per row."""
    if batch:
        totals = problem.score_batch(percents).total
    else:
        totals = np.array([problem.score_batch(row).total[0] for row in percents])
    return np.column_stack([totals, percents / 100.0 @ problem.costs])


def _individuals(fitness: np.ndarray) -> list[_Individual]:
    return [_Individual(i, (float(t), float(c))) for i, (t, c) in enumerate(fitness)]


def _vary(
    population: np.ndarray, caps: np.ndarray, config: GAConfig, rng: np.random.Generator
) -> np.ndarray:
    """Children of random parent pairs: SBX, polynomial mutation, and sometimes a drop."""
    n, k = population.shape
    pairs = rng.integers(n, size=(n // 2, 2))
    a, b = population[pairs[:, 0]], population[pairs[:, 1]]
    u = rng.random(a.shape)
    exponent = 1.0 / (config.crossover_eta + 1.0)
    beta = np.where(u <= 0.5, (2.0 * u) ** exponent, (0.5 / (1.0 - u)) ** exponent)
    swap = rng.random(a.shape) < 0.5
    beta = np.where(swap, beta, 1.0)
    children = np.concatenate(
        [0.5 * ((1 + beta) * a + (1 - beta) * b), 0.5 * ((1 - beta) * a + (1 + beta) * b)]
    )

    rate = config.mutation_rate if config.mutation_rate is not None else 1.0 / k
    u = rng.random(children.shape)
    exponent = 1.0 / (config.mutation_eta + 1.0)
    delta = np.where(u < 0.5, (2.0 * u) ** exponent - 1.0, 1.0 - (2.0 * (1.0 - u)) ** exponent)
    children = children + np.where(rng.random(children.shape) < rate, delta * caps, 0.0)

    dropped = rng.random(len(children)) < config.drop_rate
    children[dropped, rng.integers(k, size=int(dropped.sum()))] = 0.0
    return np.clip(children, 0.0, caps)


def _result(
    problem: ScoringProblem,
    population: np.ndarray,
    fitness: np.ndarray,
    catalog: Catalog,
    evaluations: int,
    generations: int,
) -> GAResult:
    [first_front] = tools.sortNondominated(_individuals(fitness), len(population), True)
    rows = sorted({ind.row for ind in first_front}, key=lambda r: (fitness[r, 1], -fitness[r, 0]))
    front: dict[tuple[tuple[str, float], ...], ParetoFormula] = {}
    for r in rows:
        formula = formula_from_percents(problem, population[r], catalog)
        key = tuple((line.material_id, line.percent) for line in formula.lines)
        front.setdefault(
            key, ParetoFormula(formula=formula, total=fitness[r, 0], cost_per_kg=fitness[r, 1])
        )
    best = int(np.argmax(fitness[:, 0]))
    return GAResult(
        best=formula_from_percents(problem, population[best], catalog),
        best_total=float(fitness[best, 0]),
        front=tuple(front.values()),
        evaluations=evaluations,
        generations=generations,
    )
