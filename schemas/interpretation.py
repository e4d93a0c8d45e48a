"""A brief read from plain words, with the words that drove each field."""

from pydantic import BaseModel, ConfigDict, Field

from schemas.brief import Brief


class Interpretation(BaseModel):
    """The structured brief, why each field has its value, and what to tell the user."""

    model_config = ConfigDict(frozen=True)

    brief: Brief = Field(description="The structured brief read from the text")
    evidence: dict[str, list[str]] = Field(
        default_factory=dict,
        description="For each Brief field the text set, the words or phrases that set it",
        examples=[
            {
                "family_weights": ["citrus", "woody base"],
                "budget_per_kg": ["under $40/kg"],
                "excluded_families": ["no musk"],
            }
        ],
    )
    notes: list[str] = Field(
        default_factory=list,
        description="Defaults applied, conversions made and words ignored, for the user",
        examples=[["no concentration named: EdP by default"]],
    )
