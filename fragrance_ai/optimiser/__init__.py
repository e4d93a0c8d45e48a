"""The deterministic reference optimiser: the yardstick for PPO and the GA."""

from fragrance_ai.optimiser.candidates import select_candidates
from fragrance_ai.optimiser.errors import (
    BudgetTooLowError,
    ContradictoryBriefError,
    FormulationError,
    NoCandidatesError,
    UnknownMaterialError,
)

__all__ = [
    "BudgetTooLowError",
    "ContradictoryBriefError",
    "FormulationError",
    "NoCandidatesError",
    "UnknownMaterialError",
    "select_candidates",
]
