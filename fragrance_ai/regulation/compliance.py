"""Compliance by substance: the one implementation every part of the system uses.

The amount of a regulated substance in the finished product is the sum over every
material that holds it, as itself or as a constituent, of

    load% x share of the material in the concentrate x content of the substance,

and a standard limits that sum (over its members, for a group) in the brief's IFRA
category. `SubstanceLimits` compiles a brief and K materials into a (K, J) content
matrix once; the objective (scalar and batch), the optimisers' bounds and repairs
and the formula's report all read it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, cached_property

import numpy as np

from fragrance_ai.regulation.allergens import LABEL_THRESHOLD_PERCENT, Allergen, parse_allergens
from fragrance_ai.regulation.composition import (
    Constituent,
    parse_constituents,
    substance_shares,
)
from fragrance_ai.regulation.sources import shipped
from fragrance_ai.regulation.standards import (
    IFRA_CATEGORIES,
    ProductUse,
    Standard,
    StandardType,
    parse_products,
    parse_standards,
    product_use,
)
from schemas.brief import Brief
from schemas.formula import AllergenLine, CertificateLine, IfraCheck
from schemas.material import Material

PROHIBITED_SCALE_PERCENT = 1e-4
"""A prohibited substance's amount is weighed against this as if it were a limit, so any
trace of it costs the objective as much as a large breach."""

ROUNDING_ROOM = 1e-3
"""Optimisers aim this fraction inside each allowed amount, so that rounding the formula
to 4 decimals never reads as over it."""


@dataclass(frozen=True)
class Regulation:
    """The regulatory tables: IFRA standards, constituents of materials, EU allergens,
    product types."""

    standards: tuple[Standard, ...]
    constituents: tuple[Constituent, ...]
    allergens: tuple[Allergen, ...]
    products: dict[str, ProductUse]
    shared_cas: frozenset[str] = frozenset()
    """CAS numbers several catalog materials carry (see composition)."""

    def use(self, brief: Brief) -> ProductUse:
        return product_use(self.products, brief)

    @cached_property
    def _constituents_by_material(self) -> dict[str, tuple[Constituent, ...]]:
        grouped: dict[str, list[Constituent]] = {}
        for constituent in self.constituents:
            grouped.setdefault(constituent.material_id, []).append(constituent)
        return {material_id: tuple(rows) for material_id, rows in grouped.items()}

    def shares(self, material: Material) -> dict[str, float]:
        """CAS number -> fraction of the material."""
        return self._of(material)[1]

    @cached_property
    def limiting(self) -> tuple[Standard, ...]:
        """The restrictions and prohibitions: specifications set no amount."""
        return tuple(s for s in self.standards if s.type is not StandardType.SPECIFICATION)

    @cached_property
    def _by_material(self) -> dict[str, tuple[Material, dict[str, float], np.ndarray]]:
        return {}

    def _of(self, material: Material) -> tuple[Material, dict[str, float], np.ndarray]:
        """The material's substance shares and the fraction of it that counts against
        each limiting standard, worked out once per material object: a brief compiles
        the catalog several times, and a formula's report reads every material again."""
        cached = self._by_material.get(material.id)
        if cached is None or cached[0] is not material:
            own = self._constituents_by_material.get(material.id, ())
            shares = substance_shares(material, own, self.shared_cas)
            row = np.array([_content(shares, s) for s in self.limiting])
            cached = (material, shares, row)
            self._by_material[material.id] = cached
        return cached

    def standard_contents(self, material: Material) -> np.ndarray:
        """(J,): the fraction of the material that counts against each `limiting` standard."""
        return self._of(material)[2]

    def compile(self, brief: Brief, materials: Sequence[Material]) -> "SubstanceLimits":
        use = self.use(brief)
        rows = np.array([self.standard_contents(m) for m in materials]).reshape(
            len(materials), len(self.limiting)
        )
        touched = np.flatnonzero(rows.any(axis=0))
        touching = [self.limiting[j] for j in touched]
        contents = rows[:, touched]
        limits = np.array(
            [np.inf if s.limit(use.category) is None else s.limit(use.category) for s in touching]
        )
        return SubstanceLimits(
            standards=tuple(touching),
            contents=contents,
            limits=limits,
            margin=brief.ifra_safety_margin,
            load=use.load_percent,
            category=use.category,
        )


def _content(shares: dict[str, float], standard: Standard) -> float:
    return sum(shares.get(cas, 0.0) for cas in standard.members)


@dataclass(frozen=True)
class SubstanceLimits:
    """A brief's regulatory limits compiled against K materials."""

    standards: tuple[Standard, ...]
    """The J restrictions and prohibitions that touch these materials."""
    contents: np.ndarray
    """(K, J): fraction of each material that counts against each standard."""
    limits: np.ndarray
    """(J,): most % in the finished product in the brief's category; inf: unrestricted."""
    margin: float
    """Fraction of each limit a formula may reach."""
    load: float
    """% of concentrate in the finished product."""
    category: str

    @property
    def allowed(self) -> np.ndarray:
        """(J,): most % in the finished product a formula may reach."""
        return self.limits * self.margin

    def amounts(self, shares: np.ndarray) -> np.ndarray:
        """(B, J): % of each standard's substances in the finished product, for (B, K)
        shares of the concentrate."""
        return self.load * np.atleast_2d(shares) @ self.contents

    def excess(self, shares: np.ndarray) -> np.ndarray:
        """(B,): sum over standards of (amount - allowed) / allowed where positive, with
        a prohibited substance weighed against PROHIBITED_SCALE_PERCENT; 0 when compliant."""
        amounts = self.amounts(shares)
        restricted = np.isfinite(self.allowed)
        allowed = np.where(restricted, self.allowed, 0.0)
        over = np.where(restricted, amounts - allowed, 0.0)
        scale = np.where(allowed > 0, allowed, PROHIBITED_SCALE_PERCENT)
        breach = over > 1e-9 * np.maximum(allowed, 1.0)
        return np.where(breach, over / scale, 0.0).sum(axis=1)

    def percent_caps(self) -> np.ndarray:
        """(K,): most % of the concentrate each material may take on its own: 0 when it
        holds a prohibited substance, 100 when it holds nothing restricted."""
        with np.errstate(divide="ignore", invalid="ignore"):
            per_standard = np.where(
                self.contents > 0,
                self.allowed * (1 - ROUNDING_ROOM) * 100.0 / (self.load * self.contents),
                np.inf,
            )
        caps = per_standard.min(axis=1, initial=np.inf)
        return np.minimum(caps, 100.0)

    def concentrate_budgets(self) -> np.ndarray:
        """(J,): most % of the concentrate each standard's substances may make up, so that
        `percents @ contents <= budgets` is the whole constraint in concentrate terms."""
        return self.allowed * (1 - ROUNDING_ROOM) * 100.0 / self.load

    def blocking(self, k: int) -> Standard | None:
        """The standard that sets material k's cap, if any."""
        held = np.flatnonzero(self.contents[k] > 0)
        if not len(held):
            return None
        ratios = self.allowed[held] / self.contents[k, held]
        return self.standards[held[int(np.argmin(ratios))]]

    def checks(self, percents: dict[str, float], ids: Sequence[str]) -> tuple[IfraCheck, ...]:
        """One line per standard the formula touches; `ids` name the K materials."""
        shares = np.array([percents.get(i, 0.0) / 100.0 for i in ids])
        amounts = self.amounts(shares)[0]
        lines = []
        for j, standard in enumerate(self.standards):
            contributions = self.load * shares * self.contents[:, j]
            if not (contributions > 0).any():
                continue
            limit = None if np.isinf(self.limits[j]) else float(self.limits[j])
            lines.append(
                IfraCheck(
                    standard_id=standard.id,
                    name=standard.name,
                    type=standard.type.value,
                    finished_percent=float(amounts[j]),
                    limit_percent=limit,
                    allowed_percent=None if limit is None else limit * self.margin,
                    compliant=limit is None or amounts[j] <= limit + 1e-9,
                    contributors={
                        i: float(c) for i, c in zip(ids, contributions, strict=True) if c > 0
                    },
                    source=f"IFRA {standard.amendment}th Amendment; {standard.source}",
                )
            )
        return tuple(lines)


@cache
def load_regulation() -> "Regulation":
    """The shipped tables, read and checked once per process."""
    from fragrance_ai.catalog import load_catalog

    materials = load_catalog().materials
    numbers = [m.cas for m in materials if m.cas]
    return Regulation(
        standards=parse_standards(shipped("ifra_standards.csv")),
        constituents=parse_constituents(shipped("constituents.csv"), {m.id for m in materials}),
        allergens=parse_allergens(shipped("eu_allergens.csv")),
        products=parse_products(shipped("products.csv")),
        shared_cas=frozenset(n for n in numbers if numbers.count(n) > 1),
    )


def conditions(regulation: Regulation, materials: Sequence[Material]) -> tuple[str, ...]:
    """What the standards' specifications require of the materials present."""
    found = []
    for standard in regulation.standards:
        if not standard.condition:
            continue
        holders = [m.id for m in materials if _content(regulation.shares(m), standard) > 0]
        if holders:
            found.append(f"{standard.name} ({', '.join(holders)}): {standard.condition}")
    return tuple(found)


def allergen_lines(
    regulation: Regulation, shares: dict[Material, float], use: ProductUse
) -> tuple[AllergenLine, ...]:
    """Each EU allergen the formula holds: its % in the finished product and whether the
    label must name it."""
    threshold = LABEL_THRESHOLD_PERCENT.get(use.exposure)
    lines = []
    for allergen in regulation.allergens:
        amount = use.load_percent * sum(
            q * sum(regulation.shares(m).get(cas, 0.0) for cas in allergen.cas)
            for m, q in shares.items()
        )
        if amount > 0:
            lines.append(
                AllergenLine(
                    allergen_id=allergen.id,
                    name=allergen.name,
                    finished_percent=amount,
                    label_required=threshold is not None and amount > threshold,
                )
            )
    return tuple(sorted(lines, key=lambda a: -a.finished_percent))


def certificate(
    regulation: Regulation, shares: dict[Material, float]
) -> tuple[CertificateLine, ...]:
    """For every IFRA category: the most % of this concentrate a finished product may hold
    (published limits, no margin) and the standard that sets it."""
    amounts = np.zeros(len(regulation.limiting))
    for material, share in shares.items():
        amounts += share * regulation.standard_contents(material)
    held = {s.id: float(a) for s, a in zip(regulation.limiting, amounts, strict=True)}
    by_id = {s.id: s for s in regulation.standards}
    lines = []
    for category in IFRA_CATEGORIES:
        best, limited_by = 100.0, None
        for standard_id, fraction in held.items():
            limit = by_id[standard_id].limit(category)
            if fraction <= 0 or limit is None:
                continue
            most = limit / fraction
            if most < best:
                best, limited_by = most, standard_id
        lines.append(CertificateLine(category=category, max_percent=best, limited_by=limited_by))
    return tuple(lines)
