"""The figures the objective is built from, shared by the scalar and batch versions."""

from schemas.brief import Concentration
from schemas.material import Family, Role

FAMILIES: tuple[Family, ...] = tuple(Family)
ROLES: tuple[Role, ...] = tuple(Role)

PYRAMID_TARGET: dict[Concentration, dict[Role, float]] = {
    Concentration.EDC: {Role.TOP: 45.0, Role.HEART: 40.0, Role.BASE: 15.0},
    Concentration.EDT: {Role.TOP: 30.0, Role.HEART: 45.0, Role.BASE: 25.0},
    Concentration.EDP: {Role.TOP: 20.0, Role.HEART: 45.0, Role.BASE: 35.0},
    Concentration.PARFUM: {Role.TOP: 15.0, Role.HEART: 40.0, Role.BASE: 45.0},
}
"""Target % of the concentrate per pyramid role: lighter products lean on the top."""

DEFAULT_BUDGET_PER_KG: dict[Concentration | None, float] = {
    Concentration.EDC: 60.0,
    Concentration.EDT: 80.0,
    Concentration.EDP: 120.0,
    Concentration.PARFUM: 150.0,
    None: 40.0,
}
"""USD per kg of concentrate the cost part measures against when a brief names no budget,
by concentration for fine fragrance, and None for every other product. Estimates: the
middle of what this catalog's own formulas cost for such briefs (most lines $20-200/kg)
with room for a few naturals, richer concentrations allowed more; functional products
(soap, detergent, candles) are made with cheaper compounds. Not a hard limit: a formula
above it loses part of its cost score, (B / c)^2; what keeps a $20,000/kg material at
its usual dose is dosing.cost_caps, which reads the same default."""

ETHANOL_COST_PER_KG = 2.5
"""Perfumer's alcohol, USD per kg, for the cost of the finished product."""

STEVENS_EXPONENT = 0.5
"""n in Stevens' power law, perceived intensity = (concentration / threshold)^n. Odours
are compressive: exponents measured for single odorants run from about 0.2 to 0.7
(Stevens 1957, Psychol. Rev. 64:153, coffee odour 0.55; Cain 1969, Percept. Psychophys.
6:349; Doty 1975, Chem. Senses 1:365); 0.5 is the middle of that range, not a fit."""

THRESHOLD_FROM_STRENGTH = (3.86, -0.51)
"""log10(odour threshold / ppb) = a + b * strength, for a material with no threshold on
record: the least-squares line through the catalog's materials whose air thresholds
were measured (Abraham et al. 2012), residual SD 1.0 log10 units, an order of
magnitude only (MATERIAL_FACTS_NOTES.md). The shipped facts' own estimates use it."""

OWN_FAMILY_SHARE = 0.6
"""A material's odour vector: this share on its own family, the rest on its descriptors'."""

ROUNDING_PERCENT = 0.005
"""Half the 0.01% a formula's lines are printed to: a line rounded up by this much is
still within its use level."""

PRESENT_PERCENT = 0.05
"""A material below this % of the concentrate counts as absent (count, excluded)."""

WEIGHTS: dict[str, float] = {
    "fidelity": 0.40,
    "pyramid": 0.15,
    "ifra": 0.10,
    "cost": 0.15,
    "count": 0.05,
    "wanted": 0.10,
    "excluded": 0.05,
}
"""Weights of the parts in the total; they sum to 1, so a feasible total lies in [0, 1]."""

HARD_PENALTY = 1.0
"""Subtracted once for an IFRA breach, once for use above a typical maximum and once for
an excluded material, so that any infeasible formula scores below every feasible one."""
