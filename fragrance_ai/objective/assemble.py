"""Turn percentages into a complete, scored `Formula`."""

from collections.abc import Mapping

from fragrance_ai.catalog import Catalog, load_catalog
from fragrance_ai.objective.constants import (
    DILUTION_PERCENT,
    ETHANOL_COST_PER_KG,
    PRESENT_PERCENT,
    ROLES,
)
from fragrance_ai.objective.scalar import IFRA_TOLERANCE, score_shares
from schemas.brief import Brief
from schemas.formula import Formula, FormulaLine, IfraCheck, Pyramid
from schemas.material import Material, Role

ROLE_ORDER = {role: i for i, role in enumerate(ROLES)}
PERCENT_DECIMALS = 4


def assemble_formula(
    percents: Mapping[str, float], brief: Brief, catalog: Catalog | None = None
) -> Formula:
    """Drop materials below PRESENT_PERCENT, renormalise to 100, and report the
    pyramid, costs, IFRA checks and score. Lines run top to base, largest first."""
    catalog = catalog or load_catalog()
    kept = {i: p for i, p in percents.items() if p > 0}
    total = sum(kept.values())
    if total <= 0:
        raise ValueError("a formula needs at least one positive percentage")
    kept = {i: p for i, p in kept.items() if 100.0 * p / total >= PRESENT_PERCENT}
    total = sum(kept.values())
    rounded = {i: round(100.0 * p / total, PERCENT_DECIMALS) for i, p in kept.items()}
    largest = max(rounded, key=rounded.__getitem__)
    rounded[largest] = round(rounded[largest] + 100.0 - sum(rounded.values()), PERCENT_DECIMALS)

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
    dilution = DILUTION_PERCENT[brief.concentration]
    checks = tuple(_ifra_check(i, rounded[i] * dilution / 100.0, materials[i]) for i in order)
    cost = sum(rounded[i] / 100.0 * materials[i].cost_per_kg for i in order)

    def role_total(role: Role) -> float:
        return round(sum(rounded[i] for i in order if materials[i].role is role), 2)

    return Formula(
        lines=lines,
        concentration=brief.concentration,
        dilution_percent=dilution,
        pyramid=Pyramid(
            top=role_total(Role.TOP), heart=role_total(Role.HEART), base=role_total(Role.BASE)
        ),
        cost_per_kg_concentrate=round(cost, 2),
        cost_per_kg_finished=round(
            cost * dilution / 100.0 + ETHANOL_COST_PER_KG * (1 - dilution / 100.0), 2
        ),
        ifra=checks,
        ifra_compliant=all(c.compliant for c in checks),
        score=score_shares({materials[i]: rounded[i] / 100.0 for i in order}, brief),
    )


def _ifra_check(material_id: str, finished_percent: float, material: Material) -> IfraCheck:
    limit = material.ifra_limit_pct
    return IfraCheck(
        material_id=material_id,
        finished_percent=finished_percent,
        limit_percent=limit,
        compliant=limit is None or finished_percent - limit <= IFRA_TOLERANCE,
    )
