"""A raw material of the ingredient catalog."""

from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Family(StrEnum):
    """The fixed olfactive vocabulary: every material and every brief speaks it."""

    CITRUS = "citrus"
    AROMATIC = "aromatic"
    GREEN = "green"
    FLORAL = "floral"
    FRUITY = "fruity"
    SPICY = "spicy"
    WOODY = "woody"
    AMBER = "amber"
    MUSK = "musk"
    GOURMAND = "gourmand"
    LEATHER = "leather"
    AQUATIC = "aquatic"
    POWDERY = "powdery"
    ALDEHYDIC = "aldehydic"


class Role(StrEnum):
    """Where a material sits in the pyramid, by volatility."""

    TOP = "top"
    HEART = "heart"
    BASE = "base"


class Confidence(StrEnum):
    """How the figures of a catalog row were obtained."""

    PUBLISHED = "published"
    ESTIMATE = "estimate"


class Material(BaseModel):
    """One row of the ingredient catalog."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(pattern=r"^[a-z0-9_]+$", description="Stable identifier", examples=["hedione"])
    name: str = Field(min_length=1, description="Trade or common name", examples=["Hedione"])
    cas: str | None = Field(
        default=None,
        pattern=r"^\d{2,7}-\d{2}-\d$",
        description="CAS number where one exists (naturals may have none)",
        examples=["24851-98-7"],
    )
    family: Family = Field(description="Main olfactive family", examples=["floral"])
    descriptors: tuple[str, ...] = Field(
        min_length=2, max_length=5, description="Odour descriptors", examples=[["jasmine", "fresh"]]
    )
    role: Role = Field(description="Volatility role in the pyramid", examples=["heart"])
    substantivity_h: float = Field(
        gt=0, description="Approximate life on a smelling strip, hours", examples=[200]
    )
    strength: float = Field(
        gt=0, le=10, description="Relative odour strength, 1 (weak) to 10", examples=[3]
    )
    cost_per_kg: float = Field(gt=0, description="Approximate cost, USD per kg", examples=[45])
    natural: bool = Field(description="Natural extract (True) or synthetic (False)")
    confidence: Confidence = Field(
        description="'published' where the figures come from public sources, else 'estimate'"
    )
    max_use_percent: float | None = Field(
        default=None,
        gt=0,
        le=100,
        description="Typical maximum use in a fragrance concentrate, % (material_facts.csv)",
        examples=[12],
    )
    usual_percent: tuple[float, float] | None = Field(
        default=None,
        description="Usual dose in a concentrate, % (low, average): an effective dose is at "
        "least the average",
        examples=[[0.1, 7]],
    )
    odour_threshold_ppb: float | None = Field(
        default=None, gt=0, description="Odour detection threshold in air, ppb (v/v)"
    )
    vapour_pressure_pa: float | None = Field(
        default=None, gt=0, description="Vapour pressure at 25 °C, Pa"
    )
    boiling_point_c: float | None = Field(default=None, description="Normal boiling point, °C")
    dilution_percent: float = Field(
        default=100.0,
        gt=0,
        le=100,
        description="Strength of the dilution the material is weighed in: 10 or 1 for potent ones",
        examples=[10],
    )

    @model_validator(mode="after")
    def _ordered_use(self) -> Self:
        if self.usual_percent is not None:
            low, average = self.usual_percent
            top = self.max_use_percent if self.max_use_percent is not None else 100.0
            if not 0 < low <= average <= top:
                raise ValueError(
                    f"usual dose {low}-{average}% must be positive, ordered and within the "
                    f"maximum use of {top}%"
                )
        return self
