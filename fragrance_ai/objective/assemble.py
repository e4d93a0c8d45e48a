"""Turn percentages into a complete, scored `Formula`, down to its batch sheet: grams
per material as a perfumer weighs them, potent materials in the dilution the catalog
gives them (10% or 1%).

When the formula cannot give a named material, note or style its effective dose, it
says why, and which of its own materials comes closest to standing in for it.
Closeness is the cosine between odour vectors (profile.odour_vector): a named material's
own, or for a note or style the mean vector of the catalog materials that answer it.
The reason is the first that holds, in the order a perfumer would check: the brief's own
exclusions, an IFRA prohibition in the product's category, a budget the usual dose does
not fit, a cap (IFRA, use level or price) below the usual dose, else what the formula
traded it for: the brief's material count, or its cost and profile.
"""

import math
from collections.abc import Mapping, Sequence

import numpy as np

from fragrance_ai.catalog import Catalog, load_catalog
from fragrance_ai.catalog.loader import load_accords
from fragrance_ai.objective.constants import ETHANOL_COST_PER_KG, PRESENT_PERCENT, ROLES
from fragrance_ai.objective.dosing import (
    FALLBACK_EFFECTIVE_PERCENT,
    accord_coverage,
    accord_for,
    effective_percent,
    material_caps,
    wanted_items,
)
from fragrance_ai.objective.profile import odour_vector
from fragrance_ai.objective.scoring import is_excluded, satisfies, score_shares, use_excess
from fragrance_ai.regulation import (
    Regulation,
    allergen_lines,
    certificate,
    conditions,
    load_regulation,
)
from schemas.brief import Brief, Product
from schemas.formula import BatchSheet, Formula, FormulaLine, NamedUse, Pyramid, WeighingLine
from schemas.material import Material, Role

ROLE_ORDER = {role: i for i, role in enumerate(ROLES)}
PERCENT_DECIMALS = 4


def assemble_formula(
    percents: Mapping[str, float],
    brief: Brief,
    catalog: Catalog | None = None,
    regulation: Regulation | None = None,
) -> Formula:
    """Drop materials below PRESENT_PERCENT, renormalise to 100, and report the
    pyramid, costs, IFRA checks by substance, allergens, the certificate and the score.
    Lines run top to base, largest first."""
    catalog = catalog or load_catalog()
    regulation = regulation or load_regulation()
    kept = {i: p for i, p in percents.items() if p > 0}
    total = sum(kept.values())
    if total <= 0:
        raise ValueError("a formula needs at least one positive percentage")
    rounded = rounded_to_100(
        {i: p for i, p in kept.items() if 100.0 * p / total >= PRESENT_PERCENT}
    )

    materials = {i: catalog.get(i) for i in rounded}
    order = sorted(rounded, key=lambda i: (ROLE_ORDER[materials[i].role], -rounded[i], i))
    lines = tuple(
        FormulaLine(
            material_id=i,
            name=materials[i].name,
            family=materials[i].family,
            role=materials[i].role,
            percent=rounded[i],
        )
        for i in order
    )
    use = regulation.use(brief)
    shares = {materials[i]: rounded[i] / 100.0 for i in order}
    checks = regulation.compile(brief, list(shares)).checks(rounded, order)
    cost = sum(rounded[i] / 100.0 * materials[i].cost_per_kg for i in order)

    def role_total(role: Role) -> float:
        return round(sum(rounded[i] for i in order if materials[i].role is role), 2)

    return Formula(
        lines=lines,
        concentration=brief.concentration,
        product=brief.product,
        ifra_category=use.category,
        dilution_percent=use.load_percent,
        pyramid=Pyramid(
            top=role_total(Role.TOP), heart=role_total(Role.HEART), base=role_total(Role.BASE)
        ),
        cost_per_kg_concentrate=round(cost, 2),
        cost_per_kg_finished=round(_finished_cost(cost, use.load_percent, brief), 2),
        ifra=checks,
        ifra_compliant=all(c.compliant for c in checks),
        ifra_conditions=conditions(regulation, list(shares)),
        allergens=allergen_lines(regulation, shares, use),
        certificate=certificate(regulation, shares),
        within_use_levels=use_excess(shares) == 0,
        named=named_uses(shares, brief, catalog, regulation),
        accords=accords_held(shares),
        batch=batch_sheet({materials[i]: rounded[i] for i in order}),
        score=score_shares(shares, brief, regulation),
    )


def rounded_to_100(percents: Mapping[str, float]) -> dict[str, float]:
    """`percents` scaled to sum to 100 and rounded to PERCENT_DECIMALS by the largest
    remainder method: each is rounded down or up, never further, so a material held at
    an effective dose written in whole units of the last decimal (20 %, 0.5 %) stays at
    it. Giving the whole residual to the largest material could take it below, by
    several units."""
    unit = 10**PERCENT_DECIMALS
    total = sum(percents.values())
    exact = {i: 100.0 * unit * p / total for i, p in percents.items()}
    # A hair below a whole unit is float noise: it counts as that unit.
    units = {i: math.floor(value + 1e-6) for i, value in exact.items()}
    missing = 100 * unit - sum(units.values())
    for i in sorted(exact, key=lambda i: units[i] - exact[i])[:missing]:
        units[i] += 1
    return {i: n / unit for i, n in units.items()}


def named_uses(
    shares: Mapping[Material, float], brief: Brief, catalog: Catalog, regulation: Regulation
) -> tuple[NamedUse, ...]:
    """Each wanted material, note and style: the % of the materials answering it and
    whether they reach an effective dose (dosing: an accord's quorum each at its dose,
    else sum_k p_k / d_k >= 1), or, short of it, sit at the cap IFRA or their use level
    sets. The effective dose reported is the accord quorum's, or that of the most
    present carrier, or, with none in the formula, the smallest among the catalog's."""
    doses = {m.id: 100.0 * q / effective_percent(m) for m, q in shares.items()}
    materials = list(shares)
    limits = regulation.compile(brief, materials)
    caps = dict(zip(materials, material_caps(limits, materials, brief), strict=True))
    uses = []
    for item in wanted_items(brief):
        accord = accord_for(item)
        if accord is not None:
            answering = {m: 100.0 * q for m, q in shares.items() if m.id in accord.parts}
            met = accord_coverage(doses, accord)
            quorum = list(accord.parts)[: accord.quorum]
            dose = sum(effective_percent(catalog.get(i)) for i in quorum)
        else:
            answering = {m: 100.0 * q for m, q in shares.items() if satisfies(m, item)}
            met = min(1.0, sum(doses[m.id] for m in answering))
            carriers = list(answering) or [m for m in catalog if satisfies(m, item)]
            dose = (
                effective_percent(max(answering, key=answering.__getitem__))
                if answering
                else min(
                    (effective_percent(m) for m in carriers), default=FALLBACK_EFFECTIVE_PERCENT
                )
            )
        short = [m for m in answering if doses[m.id] < 1.0 - 1e-6]
        honoured = met >= 1.0 - 1e-6
        held = (
            not honoured
            and bool(short)
            and all(answering[m] >= caps[m] - CAP_TOLERANCE_PERCENT for m in short)
        )
        answering_ids = tuple(m.id for m in answering)
        uses.append(
            NamedUse(
                item=item,
                percent=round(sum(answering.values()), 2),
                effective_percent=round(dose, 3),
                honoured=honoured,
                held_at_cap=held,
                materials=answering_ids,
                shortfall=None
                if honoured
                else "IFRA or its use level caps it below its usual dose"
                if held
                else shortfall_reason(item, brief, catalog, regulation, shares),
                replaced_by=None
                if honoured or held
                else closest_replacement(item, shares, catalog, answering_ids),
            )
        )
    return tuple(uses)


def accords_held(shares: Mapping[Material, float]) -> tuple[str, ...]:
    """The accords whose quorum the formula holds at effective doses, by accord id."""
    doses = {m.id: 100.0 * q / effective_percent(m) for m, q in shares.items()}
    accords = {accord.id: accord for accord in load_accords().values()}
    return tuple(i for i, a in sorted(accords.items()) if accord_coverage(doses, a) >= 1 - 1e-6)


CAP_TOLERANCE_PERCENT = 0.01
"""A line within this of its cap counts as held at it (lines are given to 0.01%)."""


def _finished_cost(concentrate_cost: float, load_percent: float, brief: Brief) -> float:
    """The fragrance's share of a kg of finished product; a fine fragrance adds its
    alcohol, other products' bases are not ours to price."""
    fragrance = concentrate_cost * load_percent / 100.0
    if brief.product is Product.FINE_FRAGRANCE:
        return fragrance + ETHANOL_COST_PER_KG * (1 - load_percent / 100.0)
    return fragrance


DEFAULT_BATCH_GRAMS = 100.0
GRAM_DECIMALS = 3
"""Milligrams: what a perfumer's balance reads."""
MOST_DILUTED_SHARE = 0.1
"""A dilution is weighed only while it stays within this share of the batch: a material
at a dose that would need more is weighed neat, as a dilution would only add solvent."""


def batch_sheet(
    percents: Mapping[Material, float], batch_grams: float = DEFAULT_BATCH_GRAMS
) -> BatchSheet:
    """Grams of each material (percent of the concentrate times the batch) and grams of
    its dilution to weigh (the same over the dilution's strength, or neat past
    MOST_DILUTED_SHARE); the solvent those dilutions bring is reported apart, beyond
    the batch."""
    if batch_grams <= 0:
        raise ValueError(f"a batch must weigh more than 0 g, got {batch_grams:g}")
    lines = []
    for material, percent in percents.items():
        grams = batch_grams * percent / 100.0
        dilution = material.dilution_percent
        if grams * 100.0 / dilution > MOST_DILUTED_SHARE * batch_grams:
            dilution = 100.0
        lines.append(
            WeighingLine(
                material_id=material.id,
                name=material.name,
                grams=round(grams, GRAM_DECIMALS),
                dilution_percent=dilution,
                weigh_grams=round(grams * 100.0 / dilution, GRAM_DECIMALS),
            )
        )
    solvent = sum(line.weigh_grams - line.grams for line in lines)
    return BatchSheet(
        batch_grams=batch_grams, lines=tuple(lines), solvent_grams=round(solvent, GRAM_DECIMALS)
    )


def with_batch(formula: Formula, batch_grams: float, catalog: Catalog | None = None) -> Formula:
    """The formula with its batch sheet made for `batch_grams` of concentrate."""
    catalog = catalog or load_catalog()
    percents = {catalog.get(line.material_id): line.percent for line in formula.lines}
    return formula.model_copy(update={"batch": batch_sheet(percents, batch_grams)})


# A named item the formula falls short of: why, and what stands in for it.
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
