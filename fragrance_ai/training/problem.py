"""A brief compiled for the environments: exactly `n_ingredients` candidate slots."""

from fragrance_ai.catalog import Catalog, load_catalog
from fragrance_ai.objective import ScoringProblem
from fragrance_ai.objective.scoring import is_excluded
from fragrance_ai.optimiser.candidates import select_candidates
from schemas.brief import Brief, Concentration
from schemas.material import Family

DEFAULT_BRIEF = Brief(
    family_weights={Family.CITRUS: 0.5, Family.WOODY: 0.3, Family.FLORAL: 0.2},
    concentration=Concentration.EDT,
    budget_per_kg=60.0,
    max_materials=8,
)
"""A fresh citrus-woody eau de toilette: what an environment formulates when given no brief."""


def compile_problem(
    brief: Brief, n_ingredients: int | None, catalog: Catalog | None = None
) -> ScoringProblem:
    """The brief's candidates, padded with excluded materials (which the dynamics keep
    at 0%) when the exclusions leave fewer than `n_ingredients`, so that every brief
    gives the same number of slots and one policy can answer them all. None: the
    candidates `select_candidates` chooses by default, unpadded."""
    catalog = catalog or load_catalog()
    if n_ingredients is None:
        return ScoringProblem.compile(brief, select_candidates(brief, catalog))
    if not 2 <= n_ingredients <= len(catalog):
        raise ValueError(
            f"n_ingredients must be between 2 and the catalog's {len(catalog)} materials, "
            f"got {n_ingredients}"
        )
    chosen = select_candidates(brief, catalog, size=n_ingredients)
    if len(chosen) > n_ingredients:
        raise ValueError(
            f"the brief's wanted materials and notes need {len(chosen)} candidates, "
            f"more than n_ingredients={n_ingredients}"
        )
    chosen_ids = {m.id for m in chosen}
    padding = [m for m in catalog if m.id not in chosen_ids and is_excluded(m, brief)]
    return ScoringProblem.compile(brief, [*chosen, *padding[: n_ingredients - len(chosen)]])
