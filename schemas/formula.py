"""A formula: materials with percentages of the concentrate, and how good it is."""

from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.brief import Concentration, Product
from schemas.material import Family, Role

PERCENT_TOLERANCE = 0.01


class FormulaLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    material_id: str = Field(description="Catalog id", examples=["bergamot_oil"])
    name: str = Field(description="Material name", examples=["Bergamot oil (bergapten-free)"])
    family: Family = Field(description="Olfactive family", examples=["citrus"])
    role: Role = Field(description="Pyramid role", examples=["top"])
    percent: float = Field(gt=0, le=100, description="% of the concentrate", examples=[12.5])


class Pyramid(BaseModel):
    model_config = ConfigDict(frozen=True)

    top: float = Field(ge=0, le=100, description="% of the concentrate in top notes")
    heart: float = Field(ge=0, le=100, description="% of the concentrate in heart notes")
    base: float = Field(ge=0, le=100, description="% of the concentrate in base notes")


class IfraCheck(BaseModel):
    """One IFRA Standard the formula touches, with the amount in the finished product."""

    model_config = ConfigDict(frozen=True)

    standard_id: str = Field(description="The standard", examples=["citral"])
    name: str = Field(description="Substance or group it limits", examples=["Citral"])
    type: str = Field(description="restriction or prohibition", examples=["restriction"])
    finished_percent: float = Field(
        ge=0, description="% of the substance (or group) in the finished product, all sources"
    )
    limit_percent: float | None = Field(
        description="The standard's limit in the product's category; None: not restricted there"
    )
    allowed_percent: float | None = Field(
        description="The limit times the brief's safety margin: what the formula aims under"
    )
    compliant: bool = Field(description="finished_percent <= limit_percent")
    contributors: dict[str, float] = Field(
        description="% of the finished product each material brings", examples=[{"citral": 0.1}]
    )
    source: str = Field(description="Where the limit was read")


class AllergenLine(BaseModel):
    """An EU cosmetic allergen (Regulation (EU) 2023/1545) the formula holds."""

    model_config = ConfigDict(frozen=True)

    allergen_id: str = Field(examples=["linalool"])
    name: str = Field(examples=["Linalool"])
    finished_percent: float = Field(ge=0, description="% in the finished product")
    label_required: bool = Field(
        description="Above 0.001% in a leave-on or 0.01% in a rinse-off product"
    )


class CertificateLine(BaseModel):
    """For one IFRA category: how much of this concentrate a finished product may hold."""

    model_config = ConfigDict(frozen=True)

    category: str = Field(examples=["4"])
    max_percent: float = Field(ge=0, le=100, description="Most % of concentrate in the product")
    limited_by: str | None = Field(description="The standard that sets it; None: no limit")


class WeighingLine(BaseModel):
    """One material of a batch: how much of it, and how much of its dilution to weigh."""

    model_config = ConfigDict(frozen=True)

    material_id: str = Field(examples=["indole"])
    name: str = Field(examples=["Indole"])
    grams: float = Field(ge=0, description="Grams of the material itself in the batch")
    dilution_percent: float = Field(
        gt=0, le=100, description="Strength of the dilution it is weighed in", examples=[10]
    )
    weigh_grams: float = Field(ge=0, description="Grams of that dilution to weigh")


class BatchSheet(BaseModel):
    """A formula in grams for one batch of concentrate, potent materials weighed diluted."""

    model_config = ConfigDict(frozen=True)

    batch_grams: float = Field(gt=0, description="Grams of concentrate the sheet makes")
    lines: tuple[WeighingLine, ...]
    solvent_grams: float = Field(
        ge=0, description="Solvent the dilutions bring beyond the batch (DPG or ethanol)"
    )


class NamedUse(BaseModel):
    """A material, note or style the brief names, and whether the formula gives it an
    effective dose."""

    model_config = ConfigDict(frozen=True)

    item: str = Field(description="Material id or note", examples=["bergamot_oil"])
    percent: float = Field(ge=0, description="% of the concentrate in materials answering it")
    effective_percent: float = Field(
        gt=0, description="% at which the item counts as used (its usual dose)"
    )
    honoured: bool = Field(description="The item is there at an effective dose")
    held_at_cap: bool = Field(
        default=False,
        description="Short of its effective dose because IFRA or its use level caps it there",
    )
    materials: tuple[str, ...] = Field(description="The formula's materials answering it")
    shortfall: str | None = Field(
        default=None,
        description="Why it is short of its effective dose; None when honoured",
        examples=["IFRA prohibits it in category 9"],
    )
    replaced_by: str | None = Field(
        default=None,
        description="When short of its effective dose: the formula's material whose odour "
        "comes closest to it",
        examples=["florol"],
    )


class ScoreParts(BaseModel):
    """The objective's parts, each in [0, 1], and their weighted total."""

    model_config = ConfigDict(frozen=True)

    fidelity: float = Field(
        description="Similarity of the odour profile (odour values through Stevens' law) "
        "to the brief's target"
    )
    pyramid: float = Field(description="Top/heart/base balance for the concentration type")
    ifra: float = Field(description="1 when compliant, falling with the amount over the limits")
    cost: float = Field(description="1 within budget, falling above it")
    count: float = Field(description="1 within the maximum number of materials, falling above")
    wanted: float = Field(
        description="Mean share of an effective dose reached by each wanted material and note"
    )
    excluded: float = Field(description="1 when no excluded material, family or note is present")
    total: float = Field(
        description="Weighted sum of the parts minus the penalties for IFRA and use levels"
    )


class Formula(BaseModel):
    model_config = ConfigDict(frozen=True)

    lines: tuple[FormulaLine, ...] = Field(min_length=1, description="Materials, top to base")
    concentration: Concentration = Field(description="Concentration type")
    product: Product = Field(description="What the fragrance goes into")
    ifra_category: str = Field(description="The product's IFRA category", examples=["4"])
    dilution_percent: float = Field(
        gt=0, le=100, description="% of concentrate in the finished product", examples=[18.0]
    )
    pyramid: Pyramid
    cost_per_kg_concentrate: float = Field(ge=0, description="USD per kg of concentrate")
    cost_per_kg_finished: float = Field(ge=0, description="USD per kg of finished product")
    ifra: tuple[IfraCheck, ...] = Field(description="IFRA check per standard, all sources summed")
    ifra_compliant: bool = Field(description="Every standard within its limit")
    ifra_conditions: tuple[str, ...] = Field(
        default=(), description="What IFRA specifications require of the materials used"
    )
    allergens: tuple[AllergenLine, ...] = Field(
        default=(), description="EU allergens in the finished product, largest first"
    )
    certificate: tuple[CertificateLine, ...] = Field(
        default=(), description="Per IFRA category, the most of this concentrate allowed"
    )
    within_use_levels: bool = Field(
        default=True, description="No material above its typical maximum use"
    )
    named: tuple[NamedUse, ...] = Field(
        default=(), description="Each material and note the brief names, and its dose"
    )
    accords: tuple[str, ...] = Field(
        default=(),
        description="The classic accords the formula holds, each with its quorum of members "
        "at their effective doses (fragrance_ai/catalog/accords.csv)",
        examples=[["rose", "amber"]],
    )
    batch: BatchSheet | None = Field(default=None, description="The formula in grams")
    score: ScoreParts

    @model_validator(mode="after")
    def _sums_to_100(self) -> Self:
        total = sum(line.percent for line in self.lines)
        if abs(total - 100.0) > PERCENT_TOLERANCE:
            raise ValueError(f"percentages sum to {total:.4f}, not 100")
        ids = [line.material_id for line in self.lines]
        if len(set(ids)) != len(ids):
            raise ValueError("a material appears twice in the formula")
        return self
