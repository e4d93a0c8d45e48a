"""A formula as a perfumer weighs it: grams per material for a batch of concentrate,
potent materials weighed in the dilution the catalog gives them (10% or 1%)."""

from collections.abc import Mapping

from fragrance_ai.catalog import Catalog, load_catalog
from schemas.formula import BatchSheet, Formula, WeighingLine
from schemas.material import Material

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
