"""The facts a perfumer doses a material by, from `material_facts.csv`: its maximum and
usual use in a concentrate, odour threshold, volatility and the dilution it is weighed
in. Every figure names its source in the row (an estimate says how it was made); the
loader refuses a figure without one. MATERIAL_FACTS_NOTES.md describes the sources."""

import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fragrance_ai.catalog.errors import CatalogError

COLUMNS = (
    "id",
    "cas",
    "max_use_pct",
    "typical_low_pct",
    "typical_high_pct",
    "use_source",
    "odour_threshold_ppb",
    "threshold_source",
    "vapour_pressure_pa",
    "boiling_point_c",
    "volatility_source",
    "dilution_pct",
    "notes",
)
SOURCED = {
    "use_source": ("max_use_pct", "typical_low_pct", "typical_high_pct"),
    "threshold_source": ("odour_threshold_ppb",),
    "volatility_source": ("vapour_pressure_pa", "boiling_point_c"),
}
"""Each source column and the figures it vouches for."""


def parse_facts(path: Path) -> dict[str, dict[str, Any]]:
    """Per material id, its facts as Material fields. Raises CatalogError naming the
    line and column of a bad figure, a figure without a source, or a repeated id."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if tuple(reader.fieldnames or ()) != COLUMNS:
                raise CatalogError(f"{path.name} line 1 (header): must be {','.join(COLUMNS)}")
            facts: dict[str, dict[str, Any]] = {}
            for row in reader:
                where = f"{path.name} line {reader.line_num} ({row['id']})"
                if row["id"] in facts:
                    raise CatalogError(f"{where}: id repeated")
                facts[row["id"]] = _parse_row(row, where)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CatalogError(f"cannot read {path}: {exc}") from None
    return facts


def _parse_row(row: Mapping[str, str], where: str) -> dict[str, Any]:
    figures: dict[str, float | None] = {}
    for source, columns in SOURCED.items():
        for column in columns:
            figures[column] = _number(row[column], where, column)
            if figures[column] is not None and not row[source].strip():
                raise CatalogError(f"{where}: {column} has no source in {source}")
    low, average = figures["typical_low_pct"], figures["typical_high_pct"]
    if (low is None) != (average is None):
        raise CatalogError(f"{where}: typical_low_pct and typical_high_pct go together")
    dilution = _number(row["dilution_pct"], where, "dilution_pct")
    return {
        "cas": row["cas"].strip() or None,
        "max_use_percent": figures["max_use_pct"],
        "usual_percent": None if low is None or average is None else (low, average),
        "odour_threshold_ppb": figures["odour_threshold_ppb"],
        "vapour_pressure_pa": figures["vapour_pressure_pa"],
        "boiling_point_c": figures["boiling_point_c"],
        "dilution_percent": 100.0 if dilution is None else dilution,
    }


def _number(text: str, where: str, column: str) -> float | None:
    if not text.strip():
        return None
    try:
        return float(text)
    except ValueError:
        raise CatalogError(f"{where}: {column} must be a number, got {text!r}") from None
