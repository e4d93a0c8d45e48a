"""What the ensemble reports: each model's attempt and who decided each field."""

from pydantic import BaseModel, ConfigDict, Field

from schemas.brief import Brief
from schemas.interpretation import Interpretation

RULE_BASED = "rule_based"


class ModelOutcome(BaseModel):
    """One model's attempt at one brief."""

    model_config = ConfigDict(frozen=True)

    model: str = Field(description="Model name from the ensemble settings")
    raw_output: str = Field(description="The model's first reply, verbatim")
    repair_output: str | None = Field(
        default=None, description="The reply to the repair prompt, when one was sent"
    )
    latency_s: float = Field(ge=0, description="Wall time of generation, repair included")
    tokens_generated: int = Field(default=0, ge=0, description="New tokens, repair included")
    valid: bool = Field(description="Whether a reply validated as a Brief")
    error: str | None = Field(default=None, description="Why the last reply was rejected")
    brief: Brief | None = Field(default=None, description="The validated brief, when valid")


class FieldDecision(BaseModel):
    """How one field of the combined brief was decided."""

    model_config = ConfigDict(frozen=True)

    confidence: float | None = Field(
        ge=0,
        le=1,
        description="Mean probability, from the calibrated evidence, that each value a "
        "source proposed was rightly kept or dropped; None when no calibrated model spoke",
    )
    decided_by: tuple[str, ...] = Field(description="Sources that named what was kept")


class EnsembleResult(BaseModel):
    """The combined brief, explained, and the record of how it came about."""

    model_config = ConfigDict(frozen=True)

    interpretation: Interpretation = Field(
        description="The combined brief, the rules' words for the fields they helped "
        "decide, and a note for each field a model decided without them"
    )
    outcomes: tuple[ModelOutcome, ...] = Field(description="Each enabled model's attempt")
    fields: dict[str, FieldDecision] = Field(description="Per Brief field: confidence, deciders")
    fallback_used: bool = Field(description="True when no model produced a valid brief")

    @property
    def brief(self) -> Brief:
        return self.interpretation.brief
