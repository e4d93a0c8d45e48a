"""Rule-based brief interpreter: a perfumer's plain words to a structured Brief.

`interpret` loads on first use, so the errors, which the LLM ensemble and the optimiser
raise too, import without the lexicon and the catalog.
"""

from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
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


def __getattr__(name: str) -> Any:
    if name == "interpret":
        from fragrance_ai.interpreter.interpreter import interpret

        return interpret
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
