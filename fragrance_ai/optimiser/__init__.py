"""The deterministic reference optimiser: the yardstick for PPO and the GA."""

from fragrance_ai.optimiser.candidates import select_candidates
from fragrance_ai.optimiser.errors import (
    BudgetTooLowError,
    FormulationError,
    NoCandidatesError,
)
from fragrance_ai.optimiser.reference import OptimisationResult, optimise

__all__ = [
    "BudgetTooLowError",
    "FormulationError",
    "NoCandidatesError",
    "OptimisationResult",
    "optimise",
    "select_candidates",
]
