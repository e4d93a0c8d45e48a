"""EU cosmetic fragrance allergens (Regulation (EC) 1223/2009 Annex III, as amended by
Regulation (EU) 2023/1545): to be labelled above 0.001% of a leave-on product and
above 0.01% of a rinse-off one."""

from dataclasses import dataclass
from pathlib import Path

from fragrance_ai.regulation.sources import cas_list, fail, read_rows

LABEL_THRESHOLD_PERCENT = {"leave_on": 0.001, "rinse_off": 0.01}
"""Regulation (EU) 2023/1545, Annex III entries' column (i): % in the finished product
above which the allergen is named on the label."""

COLUMNS = ("allergen_id", "name", "cas", "kind", "since", "source", "cross_check")


@dataclass(frozen=True)
class Allergen:
    id: str
    name: str
    cas: tuple[str, ...]
    """Numbers summed for this entry (an isomer mix may list several)."""
    kind: str
    since: str
    source: str


def parse_allergens(path: Path) -> tuple[Allergen, ...]:
    allergens: dict[str, Allergen] = {}
    for line, row in read_rows(path, COLUMNS, sourced=("source", "cross_check")):
        if not row["allergen_id"] or row["allergen_id"] in allergens:
            raise fail(path, line, "allergen_id", f"missing or repeated: {row['allergen_id']!r}")
        if row["kind"] not in ("substance", "natural_extract"):
            raise fail(
                path, line, "kind", f"must be substance or natural_extract, got {row['kind']!r}"
            )
        allergens[row["allergen_id"]] = Allergen(
            id=row["allergen_id"],
            name=row["name"],
            cas=cas_list(path, line, "cas", row["cas"]),
            kind=row["kind"],
            since=row["since"],
            source=row["source"],
        )
    return tuple(allergens.values())
