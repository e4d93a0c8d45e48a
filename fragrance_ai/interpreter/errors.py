"""Errors raised for a brief the interpreter cannot turn into a Brief.

Every message is written for the perfumer: it says what was wrong with the text
and, where it can, how to say it instead.
"""

from schemas.brief import MAX_BRIEF_CHARS


class BriefError(ValueError):
    """The brief text cannot be interpreted; the message says why."""


class EmptyBriefError(BriefError):
    def __init__(self) -> None:
        super().__init__(
            "the brief is empty: describe the scent in a few words, "
            "e.g. 'a fresh citrus summer scent for men, woody base, under $40/kg'"
        )


class BriefTooLongError(BriefError):
    def __init__(self, length: int) -> None:
        super().__init__(
            f"the brief is {length} characters long; the limit is {MAX_BRIEF_CHARS}: "
            "keep to the families, notes, materials and constraints that matter"
        )


class ContradictoryBriefError(BriefError):
    """The brief wants and excludes the same family, note or material."""


class UnknownMaterialError(BriefError):
    def __init__(self, name: str, suggestions: list[str], catalog_size: int) -> None:
        self.name = name
        self.suggestions = suggestions
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
