"""Rule-based brief interpreter: a perfumer's plain words to a structured Brief."""

from fragrance_ai.interpreter.errors import (
    MAX_BRIEF_CHARS,
    BriefError,
    BriefTooLongError,
    BudgetError,
    ContradictoryBriefError,
    EmptyBriefError,
    MaterialCountError,
    OffTopicBriefError,
    UnknownMaterialError,
    VagueBriefError,
)
from fragrance_ai.interpreter.interpreter import interpret

__all__ = [
    "MAX_BRIEF_CHARS",
    "BriefError",
    "BriefTooLongError",
    "BudgetError",
    "ContradictoryBriefError",
    "EmptyBriefError",
    "MaterialCountError",
    "OffTopicBriefError",
    "UnknownMaterialError",
    "VagueBriefError",
    "interpret",
]
