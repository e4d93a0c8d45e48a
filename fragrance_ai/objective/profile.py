"""Odour vectors of materials over the fixed family vocabulary, and how strongly each
material is smelled at a given share of the concentrate."""

import numpy as np

from fragrance_ai.catalog.descriptors import DESCRIPTOR_FAMILY
from fragrance_ai.objective.constants import (
    FAMILIES,
    OWN_FAMILY_SHARE,
    STEVENS_EXPONENT,
    THRESHOLD_FROM_STRENGTH,
)
from schemas.material import Family, Material

FAMILY_INDEX: dict[Family, int] = {f: i for i, f in enumerate(FAMILIES)}


def odour_vector(material: Material) -> np.ndarray:
    """OWN_FAMILY_SHARE on the material's family, the rest spread evenly over the
    families of its descriptors; sums to 1."""
    vector = np.zeros(len(FAMILIES))
    vector[FAMILY_INDEX[material.family]] += OWN_FAMILY_SHARE
    share = (1.0 - OWN_FAMILY_SHARE) / len(material.descriptors)
    for descriptor in material.descriptors:
        vector[FAMILY_INDEX[DESCRIPTOR_FAMILY[descriptor]]] += share
    return vector


def target_vector(family_weights: dict[Family, float]) -> np.ndarray:
    """A brief's family weights as a unit-sum vector."""
    vector = np.zeros(len(FAMILIES))
    for family, weight in family_weights.items():
        vector[FAMILY_INDEX[family]] = weight
    return vector / vector.sum()


def odour_threshold_ppb(material: Material) -> float:
    """The material's odour threshold, or THRESHOLD_FROM_STRENGTH's estimate."""
    if material.odour_threshold_ppb is not None:
        return material.odour_threshold_ppb
    a, b = THRESHOLD_FROM_STRENGTH
    return float(10 ** (a + b * material.strength))


def potency(material: Material) -> float:
    """t^-n, t the odour threshold and n STEVENS_EXPONENT: a share q of the material is
    smelled with intensity (q / t)^n = q^n * potency, up to a factor common to every
    material (the dilution into air), which the objective's cosine ignores."""
    return float(odour_threshold_ppb(material) ** -STEVENS_EXPONENT)
