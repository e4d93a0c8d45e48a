"""The structured brief: what a perfumer asked for, in the catalog's vocabulary, and its
Interpretation: the brief read from plain words, with the words that drove each field."""

from collections.abc import Collection, Hashable, Mapping
from enum import StrEnum
from typing import Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.material import Family


class Concentration(StrEnum):
    """Concentration type of the finished product."""

    EDC = "edc"
    EDT = "edt"
    EDP = "edp"
    PARFUM = "parfum"


class Product(StrEnum):
    """What the fragrance goes into; it sets the IFRA category and the fragrance load
    (fragrance_ai/regulation/products.csv)."""

    FINE_FRAGRANCE = "fine_fragrance"
    SOLID_PERFUME = "solid_perfume"
    AFTERSHAVE = "aftershave"
    BODY_MIST = "body_mist"
    BODY_LOTION = "body_lotion"
    BODY_OIL = "body_oil"
    FACE_CREAM = "face_cream"
    HAND_CREAM = "hand_cream"
    BABY_LOTION = "baby_lotion"
    DEODORANT_SPRAY = "deodorant_spray"
    DEODORANT_STICK = "deodorant_stick"
    ANTIPERSPIRANT = "antiperspirant"
    LIP_BALM = "lip_balm"
    HAIR_SPRAY = "hair_spray"
    HAIR_MIST = "hair_mist"
    SHAMPOO = "shampoo"
    CONDITIONER_RINSE_OFF = "conditioner_rinse_off"
    SHOWER_GEL = "shower_gel"
    BAR_SOAP = "bar_soap"
    LIQUID_HAND_SOAP = "liquid_hand_soap"
    BATH_FOAM = "bath_foam"
    SHAVING_FOAM = "shaving_foam"
    TOOTHPASTE = "toothpaste"
    MOUTHWASH = "mouthwash"
    WET_WIPES = "wet_wipes"
    LAUNDRY_DETERGENT = "laundry_detergent"
    FABRIC_SOFTENER = "fabric_softener"
    DISHWASHING_LIQUID = "dishwashing_liquid"
    HARD_SURFACE_CLEANER = "hard_surface_cleaner"
    ROOM_SPRAY = "room_spray"
    CANDLE = "candle"
    REED_DIFFUSER = "reed_diffuser"
    INCENSE = "incense"
    PLUG_IN = "plug_in"


MAX_BRIEF_CHARS = 2000
"""The longest brief text accepted, by the API and the interpreter alike."""

DEFAULT_IFRA_SAFETY_MARGIN = 0.9
"""A formula reaches at most this fraction of each IFRA limit, so no line sits on one."""


class Style(StrEnum):
    """A classic structure a brief can name: it brings its accord
    (fragrance_ai/catalog/accords.csv) and its pyramid (fragrance_ai/objective/profile.py).
    A soliflore has no accord of its own: it is its flower's accord, heart first."""

    CHYPRE = "chypre"
    FOUGERE = "fougere"
    COLOGNE = "cologne"
    SOLIFLORE = "soliflore"
    AMBER = "amber"
    ALDEHYDIC_FLORAL = "aldehydic floral"
    GOURMAND = "gourmand"
    MUSK = "musk"
    LEATHER = "leather"
    MARINE = "marine"


class Season(StrEnum):
    SPRING = "spring"
    SUMMER = "summer"
    AUTUMN = "autumn"
    WINTER = "winter"


class Gender(StrEnum):
    FEMININE = "feminine"
    MASCULINE = "masculine"
    UNISEX = "unisex"


F = TypeVar("F", bound=Hashable)


def wanted_families(weights: Mapping[F, object]) -> set[F]:
    """The families a weighting wants: those weighted above zero. Weights may come
    unchecked (a model's reply), so anything but a positive number wants nothing."""
    return {f for f, w in weights.items() if isinstance(w, int | float) and w > 0}


def wanted_and_excluded(weights: Mapping[F, object], excluded: Collection[F]) -> list[F]:
    """The families both wanted by `weights` and excluded, sorted: the one test of a
    brief that asks for a family and rules it out."""
    return sorted(wanted_families(weights) & set(excluded), key=str)


def without_families(weights: Mapping[F, float], excluded: Collection[F]) -> dict[F, float]:
    """The weights with every excluded family left out: an exclusion wins over a pull
    the brief's words did not ask for outright (a mood word, a season's prior)."""
    return {f: w for f, w in weights.items() if f not in excluded}


class Brief(BaseModel):
    """A structured brief. Costs are USD per kg of fragrance concentrate."""

    model_config = ConfigDict(frozen=True)

    family_weights: dict[Family, float] = Field(
        description="Target odour profile: non-negative weight per olfactive family",
        examples=[{"citrus": 0.6, "woody": 0.4}],
    )
    wanted_notes: tuple[str, ...] = Field(
        default=(), description="Odour descriptors the perfumer asked for", examples=[["bergamot"]]
    )
    wanted_materials: tuple[str, ...] = Field(
        default=(), description="Catalog ids that must be used", examples=[["hedione"]]
    )
    excluded_materials: tuple[str, ...] = Field(
        default=(), description="Catalog ids that must not be used", examples=[["galaxolide"]]
    )
    excluded_families: tuple[Family, ...] = Field(
        default=(), description="Families no material may belong to", examples=[["musk"]]
    )
    excluded_notes: tuple[str, ...] = Field(
        default=(), description="Descriptors no material may carry", examples=[["sweet"]]
    )
    concentration: Concentration = Field(
        default=Concentration.EDP,
        description="Concentration type of a fine fragrance",
        examples=["edt"],
    )
    product: Product = Field(
        default=Product.FINE_FRAGRANCE,
        description="What the fragrance goes into: sets the IFRA category and the fragrance load",
        examples=["shower_gel"],
    )
    ifra_safety_margin: float = Field(
        default=DEFAULT_IFRA_SAFETY_MARGIN,
        gt=0,
        le=1,
        description="Fraction of each IFRA limit a formula may reach",
        examples=[0.9],
    )
    style: Style | None = Field(
        default=None, description="A classic structure the brief names", examples=["chypre"]
    )
    season: Season | None = Field(default=None, description="Season worn", examples=["summer"])
    gender: Gender | None = Field(default=None, description="Intended wearer", examples=["unisex"])
    budget_per_kg: float | None = Field(
        default=None, gt=0, description="Maximum cost, USD per kg of concentrate", examples=[40.0]
    )
    max_materials: int = Field(
        default=12, ge=2, le=40, description="Most materials the formula may use", examples=[10]
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if any(w < 0 for w in self.family_weights.values()):
            raise ValueError("family weights must be non-negative")
        if sum(self.family_weights.values()) <= 0:
            raise ValueError("the brief names no olfactive family: at least one weight must be > 0")
        for kind, wanted, excluded in (
            ("material", self.wanted_materials, self.excluded_materials),
            ("note", self.wanted_notes, self.excluded_notes),
        ):
            both = sorted(set(wanted) & set(excluded))
            if both:
                raise ValueError(
                    f"the brief both wants and excludes the {kind}(s) {', '.join(both)}"
                )
        clash = wanted_and_excluded(self.family_weights, self.excluded_families)
        if clash:
            raise ValueError(
                f"the brief both wants and excludes the family(ies) {', '.join(clash)}"
            )
        return self

    def target_profile(self) -> dict[Family, float]:
        """Family weights normalised to sum to 1."""
        total = sum(self.family_weights.values())
        return {f: w / total for f, w in self.family_weights.items() if w > 0}


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
