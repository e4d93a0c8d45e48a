"""Evaluations per second of the batch objective against a Python loop over the
scalar one, on a realistic brief with 12 candidates.

Run: python bench/objective.py
"""

import time
from collections.abc import Callable

import numpy as np

from fragrance_ai.catalog import load_catalog
from fragrance_ai.objective import ScoringProblem, score
from fragrance_ai.optimiser import select_candidates
from schemas.brief import Brief, Concentration, Season
from schemas.material import Family

BATCH_SIZES = (1, 256, 4096)
MIN_SECONDS = 1.0
BRIEF = Brief(
    family_weights={Family.CITRUS: 0.5, Family.AROMATIC: 0.2, Family.WOODY: 0.3},
    wanted_notes=("bergamot",),
    excluded_families=(Family.GOURMAND,),
    concentration=Concentration.EDT,
    season=Season.SUMMER,
    budget_per_kg=40.0,
    max_materials=12,
)


def rate(evaluate: Callable[[], object], formulas: int) -> float:
    """Formulas scored per second, over repeats lasting at least MIN_SECONDS."""
    evaluate()
    repeats, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < MIN_SECONDS:
        evaluate()
        repeats += 1
    return repeats * formulas / elapsed


def main() -> None:
    catalog = load_catalog()
    candidates = select_candidates(BRIEF, catalog, size=12)
    problem = ScoringProblem.compile(BRIEF, candidates)
    ids = [m.id for m in candidates]
    rng = np.random.default_rng(0)
    print(f"brief: {len(candidates)} candidates, catalog of {len(catalog)} materials")
    print(f"{'batch':>6} {'scalar loop /s':>16} {'score_batch /s':>16} {'ratio':>8}")
    for size in BATCH_SIZES:
        percents = 100.0 * rng.dirichlet(np.ones(len(ids)), size=size)
        mappings = [dict(zip(ids, row.tolist(), strict=True)) for row in percents]

        def loop(mappings: list[dict[str, float]] = mappings) -> None:
            for mapping in mappings:
                score(mapping, BRIEF, catalog)

        scalar = rate(loop, size)
        batch = rate(lambda p=percents: problem.score_batch(p), size)
        print(f"{size:>6} {scalar:>16,.0f} {batch:>16,.0f} {batch / scalar:>7.1f}x")


if __name__ == "__main__":
    main()
