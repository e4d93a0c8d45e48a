"""What can be wrong with a brief, as read from text or as asked of the catalog.

The one home of these errors: the interpreter, the LLM ensemble and the optimiser all
raise them, so one `except BriefError` catches a brief refused anywhere. Every message
is written for the perfumer: it says what was wrong and, where it can, how to say it
instead.
"""

from collections.abc import Sequence

from schemas.brief import MAX_BRIEF_CHARS


class BriefError(ValueError):
    """The brief cannot be used as it is; the message says why."""


class EmptyBriefError(BriefError):
    """Nothing readable is left once blanks, invisible and control characters go."""

    def __init__(self) -> None:
        super().__init__(
            "the brief is empty: describe the scent in a few words, "
            "e.g. 'a fresh citrus summer scent for men, woody base, under $40/kg'"
        )


class BriefTooLongError(BriefError):
    """The brief passes a length limit: in characters, or in a model's tokens."""

    def __init__(self, length: int, limit: int = MAX_BRIEF_CHARS, unit: str = "characters") -> None:
        self.length, self.limit = length, limit
        super().__init__(
            f"the brief is {length} {unit} long; the limit is {limit} {unit}: "
            "keep to the families, notes, materials and constraints that matter"
        )


class ContradictoryBriefError(BriefError):
    """The brief wants and excludes the same family, note or material."""


class UnknownMaterialError(BriefError):
    """The brief names a material the ingredient catalog does not hold."""

    def __init__(self, name: str, suggestions: Sequence[str], catalog_size: int) -> None:
        self.name = name
        self.suggestions = list(suggestions)
        hint = (
            f"close catalog names: {', '.join(suggestions)}"
            if suggestions
            else "name a catalog material or describe the note you want instead"
        )
        super().__init__(
            f"the material '{name}' is not in the ingredient catalog "
            f"({catalog_size} materials); {hint}"
        )


class VagueBriefError(BriefError):
    def __init__(self, reason: str) -> None:
        super().__init__(
            f"the brief {reason}: name at least one olfactive family (citrus, woody, "
            "floral, amber, musk, aquatic, gourmand...), a style word (fresh, chypre, "
            "fougere, oriental), a note (bergamot, rose, vanilla, vetiver...) "
            "or a catalog material (hedione, iso e super...)"
        )


class OffTopicBriefError(BriefError):
    """The text asks for something other than a scent (a poem, a story, some code)."""

    def __init__(self, asked_for: str) -> None:
        self.asked_for = asked_for
        super().__init__(
            f"the text asks for a {asked_for}, not a scent: describe the perfume to make, "
            "e.g. 'a fresh citrus summer scent for men, woody base, under $40/kg'",
        )


class BudgetError(BriefError):
    """A budget was given but cannot be used (unknown unit, zero or less)."""


class MaterialCountError(BriefError):
    """The maximum number of materials is outside what a formula can have."""
