"""IFRA Standards as data: one row per standard, its limit in each product category.

A standard restricts, prohibits or specifies a substance or a group of substances
(its `members`, by CAS number, summed). Limits are % of the substance in the
finished product. `ifra_standards.csv` transcribes the 51st Amendment; every row
names where its figures were read and how they were cross-checked.
"""

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from fragrance_ai.regulation.sources import cas_list, fail, percent, read_rows

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
