"""A raw material of the ingredient catalog."""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


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
