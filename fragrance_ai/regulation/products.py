"""Product types: the IFRA category each falls in, its usual fragrance load and whether
it stays on the skin, from `products.csv`. A fine fragrance's load is set by its
concentration (rows `fine_fragrance_edc` ... `fine_fragrance_parfum`)."""

from dataclasses import dataclass
from pathlib import Path

from fragrance_ai.regulation.sources import RegulationDataError, fail, percent, read_rows
from fragrance_ai.regulation.standards import IFRA_CATEGORIES
from schemas.brief import Brief, Concentration, Product

COLUMNS = (
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
    for line, row in read_rows(path, COLUMNS, sourced=("category_source", "load_source")):
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
