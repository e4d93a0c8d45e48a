"""Regulatory truth: IFRA Standards by substance and product category, the regulated
constituents of materials, EU cosmetic allergens, and what each product type means."""

from fragrance_ai.regulation.compliance import (
    Regulation,
    SubstanceLimits,
    allergen_lines,
    certificate,
    conditions,
    load_regulation,
)
from fragrance_ai.regulation.sources import RegulationDataError
from fragrance_ai.regulation.standards import IFRA_CATEGORIES, Standard, StandardType

__all__ = [
    "IFRA_CATEGORIES",
    "Regulation",
    "RegulationDataError",
    "Standard",
    "StandardType",
    "SubstanceLimits",
    "allergen_lines",
    "certificate",
    "conditions",
    "load_regulation",
]
