"""How much of a material a formula may hold, and how much makes it count.

A material's typical maximum use in a concentrate caps it in every optimiser, as IFRA
limits do (the smaller of the two binds). A material or note the brief names counts as
used only at an effective dose: a material's usual dose, PerfumersWorld's "average"
use in material_facts.csv, the dose at which it usually plays its part; a note is met
when the materials carrying it add up to one effective dose between them,
sum_k p_k / d_k >= 1. A note or style with a classic accord (rose, jasmine, chypre,
fougere... catalog/loader.py) is met by the accord instead: its QUORUM members most
present, each at an effective dose, min(1, p_k / d_k) averaged over the quorum, so
that rose is answered by rose materials together, never by geraniol alone.
"""

from collections.abc import Collection, Mapping, Sequence
from functools import cache

import numpy as np

from fragrance_ai.catalog import load_catalog
from fragrance_ai.catalog.loader import Accord, load_accords
from fragrance_ai.objective.constants import DEFAULT_BUDGET_PER_KG
from fragrance_ai.regulation import SubstanceLimits
from schemas.brief import Brief, Product
from schemas.material import Material

FALLBACK_EFFECTIVE_PERCENT = 1.0
"""The effective dose of a material with no usual dose on record (an estimate: a
typical trace-to-modifier dose in a concentrate; every shipped material has a usual
dose, so this serves only catalogs without facts)."""


def use_caps(materials: Sequence[Material]) -> np.ndarray:
    """Most % of the concentrate per material by its typical maximum use; 100 where no
    maximum is on record."""
    return np.array([m.max_use_percent or 100.0 for m in materials], dtype=float)


def budget_per_kg(brief: Brief) -> float:
    """The brief's budget, or DEFAULT_BUDGET_PER_KG for its concentration and product."""
    if brief.budget_per_kg is not None:
        return brief.budget_per_kg
    fine = brief.product is Product.FINE_FRAGRANCE
    return DEFAULT_BUDGET_PER_KG[brief.concentration if fine else None]


def cost_caps(brief: Brief, materials: Sequence[Material]) -> np.ndarray:
    """Most % per material by price when the brief names no budget: a material that at
    its typical maximum use would spend the whole default budget (DEFAULT_BUDGET_PER_KG)
    on its own is held to its usual dose, so that a $20,000/kg agarwood oil is there at
    the dose a perfumer uses it at, never at its maximum. A named budget rules by itself
    (the cost part and the cheapest formula), so no cap is set then; 100 elsewhere."""
    if brief.budget_per_kg is not None:
        return np.full(len(materials), 100.0)
    budget = budget_per_kg(brief)
    return np.array(
        [
            effective_percent(m)
            if m.cost_per_kg * (m.max_use_percent or 100.0) > 100.0 * budget
            else 100.0
            for m in materials
        ]
    )


def material_caps(
    limits: SubstanceLimits, materials: Sequence[Material], brief: Brief
) -> np.ndarray:
    """Most % of the concentrate per material on its own: the smallest of its IFRA cap in
    the brief's category (0 when prohibited), its typical maximum use and its cost cap."""
    return np.minimum(
        np.minimum(limits.percent_caps(), use_caps(materials)), cost_caps(brief, materials)
    )


def effective_percent(material: Material) -> float:
    """The % of the concentrate at which a named material counts as used."""
    if material.usual_percent is not None:
        return material.usual_percent[1]
    return min(FALLBACK_EFFECTIVE_PERCENT, material.max_use_percent or 100.0)


def wanted_items(brief: Brief) -> tuple[str, ...]:
    """What the brief asks to be there: its materials, notes and the style's accord (a
    soliflore has none of its own: its flower is among the notes)."""
    style = (
        (brief.style.value,) if brief.style is not None and accord_for(brief.style.value) else ()
    )
    return (*brief.wanted_materials, *brief.wanted_notes, *style)


def accord_for(item: str) -> Accord | None:
    """The accord that answers a wanted note or style, if any."""
    return load_accords().get(item)


def accord_coverage(doses: Mapping[str, float], accord: Accord) -> float:
    """Mean over the accord's quorum of min(1, p_k / d_k), its members taken most
    covered first; `doses` maps a member id to p_k / d_k."""
    ratios = sorted((min(1.0, doses.get(k, 0.0)) for k in accord.parts), reverse=True)
    return sum(ratios[: accord.quorum]) / accord.quorum


NAMESAKE_PARTS = frozenset(
    ["oil", "absolute", "resinoid", "butter", "bud", "berry", "seed", "wood", "tar", "flower",
     "bean"]
)  # fmt: skip
"""What may follow a note's word in a natural's name for the natural to be that note's
namesake: "lemon oil", "clove bud oil", but not "violet leaf absolute" for violet."""


@cache
def namesakes() -> dict[str, str]:
    """Note -> the catalog natural named after it (the first in catalog order)."""
    found: dict[str, str] = {}
    for material in load_catalog():
        words = material.name.lower().split()
        if material.natural and len(words) > 1 and words[1] in NAMESAKE_PARTS:
            found.setdefault(words[0], material.id)
    return found


def held_members(brief: Brief, available: Collection[str]) -> list[str]:
    """The materials an optimiser brings in, and holds at their effective doses, for the
    brief's wanted notes and style: each accord's quorum, largest parts first among the
    materials available, and for a note with no accord the natural named after it
    ("lemon" by lemon oil, not by lemongrass alone), as far as the brief's material count
    allows beside its wanted materials."""
    room = brief.max_materials - len(brief.wanted_materials)
    chosen: list[str] = []
    for item in wanted_items(brief):
        accord = accord_for(item)
        if accord is not None:
            members = [i for i in accord.parts if i in available][: accord.quorum]
        else:
            namesake = namesakes().get(item) if item in brief.wanted_notes else None
            members = [namesake] if namesake is not None and namesake in available else []
        for member in members:
            fresh = member not in chosen and member not in brief.wanted_materials
            if fresh and len(chosen) < room:
                chosen.append(member)
    return chosen
