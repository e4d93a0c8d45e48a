"""IFRA product categories: the Standards' limit in each, and the product types that
fall in each.

IFRA Standards as data: one row per standard, its limit in each product category.
A standard restricts, prohibits or specifies a substance or a group of substances
(its `members`, by CAS number, summed). Limits are % of the substance in the
finished product. `ifra_standards.csv` transcribes the 51st Amendment; every row
names where its figures were read and how they were cross-checked.

Product types: the IFRA category each falls in, its usual fragrance load and whether
it stays on the skin, from `products.csv`. A fine fragrance's load is set by its
concentration (rows `fine_fragrance_edc` ... `fine_fragrance_parfum`).
"""

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from fragrance_ai.regulation.sources import RegulationDataError, cas_list, fail, percent, read_rows
from schemas.brief import Brief, Concentration, Product

IFRA_CATEGORIES: tuple[str, ...] = (
    "1", "2", "3", "4", "5A", "5B", "5C", "5D", "6", "7A", "7B",
    "8", "9", "10A", "10B", "11A", "11B", "12",
)  # fmt: skip
"""The IFRA product categories of the 51st Amendment."""


class StandardType(StrEnum):
    RESTRICTION = "restriction"
    PROHIBITION = "prohibition"
    SPECIFICATION = "specification"


@dataclass(frozen=True)
class Standard:
    """One IFRA Standard."""

    id: str
    name: str
    type: StandardType
    members: tuple[str, ...]
    """CAS numbers whose amounts are summed against the limit."""
    limits: dict[str, float | None]
    """Per category: most % in the finished product; 0 prohibits; None: not restricted."""
    condition: str
    """What a specification requires of the material (a grade, a peroxide value)."""
    amendment: str
    source: str
    cross_check: str

    def limit(self, category: str) -> float | None:
        if self.type is StandardType.PROHIBITION:
            return 0.0
        return self.limits[category]


COLUMNS = (
    "standard_id", "name", "type", "members",
    *(f"cat_{c}" for c in IFRA_CATEGORIES),
    "condition", "amendment", "source", "cross_check",
)  # fmt: skip


def parse_standards(path: Path) -> tuple[Standard, ...]:
    """Read and check the standards table; RegulationDataError names a bad row."""
    standards: dict[str, Standard] = {}
    for line, row in read_rows(path, COLUMNS, sourced=("source", "cross_check", "amendment")):
        standard_id = row["standard_id"]
        if not standard_id or standard_id in standards:
            raise fail(path, line, "standard_id", f"missing or repeated: {standard_id!r}")
        try:
            kind = StandardType(row["type"])
        except ValueError:
            raise fail(path, line, "type", f"unknown type {row['type']!r}") from None
        members = cas_list(path, line, "members", row["members"])
        if not members:
            raise fail(path, line, "members", "a standard needs at least one CAS number")
        limits = {
            c: percent(path, line, f"cat_{c}", row[f"cat_{c}"], allow_zero=True)
            if row[f"cat_{c}"]
            else None
            for c in IFRA_CATEGORIES
        }
        if kind is StandardType.RESTRICTION and all(v is None for v in limits.values()):
            raise fail(path, line, "cat_4", "a restriction needs a limit in some category")
        if kind is StandardType.SPECIFICATION and not row["condition"]:
            raise fail(path, line, "condition", "a specification must say what it requires")
        standards[standard_id] = Standard(
            id=standard_id,
            name=row["name"] or standard_id,
            type=kind,
            members=members,
            limits=limits,
            condition=row["condition"],
            amendment=row["amendment"],
            source=row["source"],
            cross_check=row["cross_check"],
        )
    return tuple(standards.values())


# Product types.
PRODUCT_COLUMNS = (
    "product_id", "name", "ifra_category", "load_pct", "load_low_pct", "load_high_pct",
    "exposure", "keywords", "category_source", "load_source",
)  # fmt: skip
EXPOSURES = ("leave_on", "rinse_off", "no_skin")


@dataclass(frozen=True)
class ProductUse:
    product_id: str
    name: str
    category: str
    load_percent: float
    """Usual % of fragrance concentrate in the finished product."""
    exposure: str
    keywords: tuple[str, ...]


def _row_id(product: Product, concentration: Concentration) -> str:
    if product is Product.FINE_FRAGRANCE:
        return f"{product.value}_{concentration.value}"
    return product.value


def parse_products(path: Path) -> dict[str, ProductUse]:
    """Read the table; every Product (and every fine-fragrance concentration) needs a row."""
    uses: dict[str, ProductUse] = {}
    for line, row in read_rows(path, PRODUCT_COLUMNS, sourced=("category_source", "load_source")):
        if row["ifra_category"] not in IFRA_CATEGORIES:
            raise fail(path, line, "ifra_category", f"unknown category {row['ifra_category']!r}")
        if row["exposure"] not in EXPOSURES:
            raise fail(path, line, "exposure", f"must be one of {', '.join(EXPOSURES)}")
        uses[row["product_id"]] = ProductUse(
            product_id=row["product_id"],
            name=row["name"],
            category=row["ifra_category"],
            load_percent=percent(path, line, "load_pct", row["load_pct"], allow_zero=False),
            exposure=row["exposure"],
            keywords=tuple(k.strip() for k in row["keywords"].split(";") if k.strip()),
        )
    needed = {_row_id(p, c) for p in Product for c in Concentration}
    missing = sorted(needed - uses.keys())
    if missing:
        raise RegulationDataError(f"{path.name}: no row for product(s) {', '.join(missing)}")
    return uses


def product_use(uses: dict[str, ProductUse], brief: Brief) -> ProductUse:
    return uses[_row_id(brief.product, brief.concentration)]
