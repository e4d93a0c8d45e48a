"""From an optimiser's percentages to a `Formula` that scores as they did."""

import numpy as np
import torch

from fragrance_ai.catalog import Catalog
from fragrance_ai.objective import ScoringProblem, assemble_formula
from fragrance_ai.objective.constants import PRESENT_PERCENT
from fragrance_ai.training.dynamics import percent_caps, project_to_caps
from schemas.formula import Formula


def formula_from_percents(
    problem: ScoringProblem, percents: np.ndarray, catalog: Catalog
) -> Formula:
    """Drop traces below PRESENT_PERCENT and bring the rest back to 100 within the caps
    here, because `assemble_formula` would rescale a material sitting at its IFRA cap
    past it when it drops the traces itself."""
    kept = np.where(percents >= PRESENT_PERCENT, percents, 0.0)
    caps = torch.from_numpy(percent_caps(problem))
    final = project_to_caps(torch.from_numpy(kept)[None], caps[None])[0].numpy()
    by_id = {m.id: float(p) for m, p in zip(problem.materials, final, strict=True) if p > 0}
    return assemble_formula(by_id, problem.brief, catalog)
