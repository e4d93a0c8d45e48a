"""When a formula cannot give a named material, note or style its effective dose: why,
and which of the formula's own materials comes closest to standing in for it.

Closeness is the cosine between odour vectors (profile.odour_vector): a named material's
own, or for a note or style the mean vector of the catalog materials that answer it.
The reason is the first that holds, in the order a perfumer would check: the brief's own
exclusions, an IFRA prohibition in the product's category, a budget the usual dose does
not fit, a cap (IFRA, use level or price) below the usual dose, else what the formula
traded it for: the brief's material count, or its cost and profile.
"""

from collections.abc import Mapping, Sequence

import numpy as np

from fragrance_ai.catalog import Catalog
from fragrance_ai.objective.dosing import accord_for, effective_percent, material_caps
from fragrance_ai.objective.profile import odour_vector
from fragrance_ai.objective.scalar import is_excluded, satisfies
from fragrance_ai.regulation import Regulation
from schemas.brief import Brief
from schemas.material import Material


def carriers(item: str, catalog: Catalog) -> list[Material]:
    """The catalog materials that answer a named item: its accord's members, else the
    material itself or the materials carrying the note."""
    accord = accord_for(item)
    if accord is not None:
        return [catalog.get(i) for i in accord.parts]
    return [m for m in catalog if satisfies(m, item)]


def shortfall_reason(
    item: str,
    brief: Brief,
    catalog: Catalog,
    regulation: Regulation,
    shares: Mapping[Material, float],
) -> str:
    """Why the formula (`shares`) does not hold the item at its usual dose, as one phrase:
    what rules it out for any formula of this brief, else what this formula traded it for."""
    answering = carriers(item, catalog)
    if not answering:
        return "no catalog material answers it"
    allowed = [m for m in answering if not is_excluded(m, brief)]
    if not allowed:
        return "the brief's own exclusions rule out every material that answers it"
    limits = regulation.compile(brief, allowed)
    permitted = [m for m, cap in zip(allowed, limits.percent_caps(), strict=True) if cap > 0]
    if not permitted:
        return f"IFRA prohibits it in category {limits.category}"
    if brief.budget_per_kg is not None:
        cheapest = min(m.cost_per_kg * effective_percent(m) / 100.0 for m in permitted)
        if cheapest > brief.budget_per_kg:
            return f"its usual dose costs more than the ${brief.budget_per_kg:g}/kg budget"
    caps = material_caps(regulation.compile(brief, permitted), permitted, brief)
    if all(cap < effective_percent(m) for m, cap in zip(permitted, caps, strict=True)):
        return "IFRA, its use level or its price caps it below its usual dose"
    if any(m in shares for m in answering):
        return "held below its usual dose, traded against the cost and the brief's profile"
    if len(shares) >= brief.max_materials:
        return f"the brief's {brief.max_materials}-material limit left it no room"
    return "left out, traded against the cost and the brief's profile"


def _vector(item: str, catalog: Catalog) -> np.ndarray | None:
    answering = carriers(item, catalog)
    if not answering:
        return None
    return np.mean([odour_vector(m) for m in answering], axis=0)


def closest_replacement(
    item: str, shares: Mapping[Material, float], catalog: Catalog, answering: Sequence[str]
) -> str | None:
    """The formula's material, other than those already answering the item, whose odour
    is closest to it; None when the formula has no other material or nothing is known of
    the item's odour."""
    wanted = _vector(item, catalog)
    others = [m for m in shares if m.id not in answering]
    if wanted is None or not others:
        return None

    def closeness(material: Material) -> float:
        vector = odour_vector(material)
        return float(vector @ wanted / (np.linalg.norm(vector) * np.linalg.norm(wanted)))

    return max(others, key=lambda m: (closeness(m), shares[m])).id
