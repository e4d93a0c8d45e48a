"""The two profiles a formula is held to, and what a brief asks of each.

By family: a material's odour vector over the fixed family vocabulary, how strongly the
material is smelled at a given share of the concentrate (its potency), and the brief's
family weights as a target vector.

By pyramid: how the brief's concentrate divides between top, heart and base. Two things
set it, with equal say. The concentration sets how much of the formula must last
(PYRAMID_TARGET: a cologne leans on the top, a parfum on the base). The brief's
character sets where its weight sits: a named style's accord, read by its members' roles
and parts ("a cologne is mostly top notes"), or else its families, each read as the
roles its catalog materials hold (citrus is 95% top notes in the catalog, musk all base),
so that a leather is built on its base and a soliflore around its heart. The even split
is a choice, not a fit: neither the concentration nor the character alone makes a
formula a perfumer would sign.
"""

from collections import Counter
from functools import cache

import numpy as np

from fragrance_ai.catalog import DESCRIPTOR_FAMILY, load_catalog
from fragrance_ai.objective.constants import (
    FAMILIES,
    OWN_FAMILY_SHARE,
    PYRAMID_TARGET,
    ROLES,
    STEVENS_EXPONENT,
    THRESHOLD_FROM_STRENGTH,
)
from fragrance_ai.objective.dosing import accord_for
from schemas.brief import Brief
from schemas.material import Family, Material, Role

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


CHARACTER_SHARE = 0.5
"""The say of the brief's character in its pyramid; the concentration has the rest."""


@cache
def family_roles() -> dict[Family, dict[Role, float]]:
    """Per family, the % of the catalog's materials of that family in each role."""
    counts: dict[Family, Counter[Role]] = {}
    for material in load_catalog():
        counts.setdefault(material.family, Counter())[material.role] += 1
    return {
        family: {role: 100.0 * found[role] / found.total() for role in ROLES}
        for family, found in counts.items()
    }


def character_roles(brief: Brief) -> dict[Role, float]:
    """% per role the brief's character asks for: its style's accord by parts, else its
    families by family_roles, weighted by the brief's family weights."""
    accord = accord_for(brief.style.value) if brief.style is not None else None
    if accord is not None:
        catalog = load_catalog()
        parts = dict.fromkeys(ROLES, 0.0)
        for material_id, share in accord.parts.items():
            parts[catalog.get(material_id).role] += share
        total = sum(parts.values())
        return {role: 100.0 * parts[role] / total for role in ROLES}
    weights = brief.target_profile()
    roles = family_roles()
    known = {f: w for f, w in weights.items() if f in roles}
    total = sum(known.values())
    if total <= 0:
        return dict(PYRAMID_TARGET[brief.concentration])
    return {role: sum(w * roles[f][role] for f, w in known.items()) / total for role in ROLES}


def pyramid_target(brief: Brief) -> dict[Role, float]:
    """Target % of the concentrate per role: the concentration's and the character's,
    CHARACTER_SHARE to the character; sums to 100."""
    by_concentration = PYRAMID_TARGET[brief.concentration]
    character = character_roles(brief)
    return {
        role: (1.0 - CHARACTER_SHARE) * by_concentration[role] + CHARACTER_SHARE * character[role]
        for role in ROLES
    }
