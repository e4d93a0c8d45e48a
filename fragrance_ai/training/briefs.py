"""Random briefs over the catalog's space, for goal-conditioned training and evaluation."""

import numpy as np

from fragrance_ai.catalog import Catalog
from schemas.brief import Brief, Concentration

BUDGET_RANGE = (20.0, 150.0)
"""USD per kg of concentrate, when a brief has a budget."""


def sample_brief(rng: np.random.Generator, catalog: Catalog) -> Brief:
    """One to three target families with Dirichlet weights, a concentration, maybe a budget,
    a material cap, and sometimes an excluded material, family or wanted note."""
    families = sorted({m.family for m in catalog})
    picked = rng.choice(len(families), size=int(rng.integers(1, 4)), replace=False)
    weights = rng.dirichlet(np.ones(len(picked)))
    wanted_families = {families[i]: float(w) for i, w in zip(picked, weights, strict=True)}
    others = [f for f in families if f not in wanted_families]
    excluded_families = (others[int(rng.integers(len(others)))],) if rng.random() < 0.2 else ()
    allowed = [m for m in catalog if m.family not in excluded_families]
    excluded_materials = (
        (allowed.pop(int(rng.integers(len(allowed)))).id,) if rng.random() < 0.3 else ()
    )
    wanted_notes: tuple[str, ...] = ()
    if rng.random() < 0.3:
        carrier = allowed[int(rng.integers(len(allowed)))]
        wanted_notes = (carrier.descriptors[int(rng.integers(len(carrier.descriptors)))],)
    budget = float(rng.uniform(*BUDGET_RANGE)) if rng.random() < 0.7 else None
    concentrations = list(Concentration)
    return Brief(
        family_weights=wanted_families,
        wanted_notes=wanted_notes,
        excluded_materials=excluded_materials,
        excluded_families=excluded_families,
        concentration=concentrations[int(rng.integers(len(concentrations)))],
        budget_per_kg=budget,
        max_materials=int(rng.integers(4, 13)),
    )
