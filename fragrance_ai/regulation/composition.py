"""What each material is made of, as far as regulation cares: by CAS number, in %.

A material is its own substance (its CAS number, at 100%) and, for naturals and
bases, the regulated constituents of `constituents.csv`, each with a typical
content and the source it was read from. Where two catalog materials share a CAS
number (bergamot oil expressed and bergapten-free; lime oil expressed and
distilled), the number says too little: neither counts as that substance unless
its own constituents row says so.
"""

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from fragrance_ai.regulation.sources import cas_list, fail, percent, read_rows
from schemas.material import Material

COLUMNS = ("material_id", "constituent", "cas", "percent", "source", "note")


@dataclass(frozen=True)
class Constituent:
    material_id: str
    name: str
    cas: str
    percent: float
    """Typical % of the constituent in the material."""
    source: str
    note: str


def parse_constituents(path: Path, material_ids: Collection[str]) -> tuple[Constituent, ...]:
    """Read and check the constituents table against the catalog's ids."""
    rows: list[Constituent] = []
    seen: set[tuple[str, str]] = set()
    for line, row in read_rows(path, COLUMNS, sourced=("source",)):
        if row["material_id"] not in material_ids:
            raise fail(path, line, "material_id", f"{row['material_id']!r} is not in the catalog")
        [cas] = cas_list(path, line, "cas", row["cas"]) or ("",)
        if not cas:
            raise fail(path, line, "cas", "a constituent needs its CAS number")
        if (row["material_id"], cas) in seen:
            raise fail(path, line, "cas", f"{cas} is listed twice for {row['material_id']}")
        seen.add((row["material_id"], cas))
        rows.append(
            Constituent(
                material_id=row["material_id"],
                name=row["constituent"] or cas,
                cas=cas,
                percent=percent(path, line, "percent", row["percent"], allow_zero=False),
                source=row["source"],
                note=row["note"],
            )
        )
    return tuple(rows)


def substance_shares(
    material: Material, constituents: Collection[Constituent], shared_cas: Collection[str]
) -> dict[str, float]:
    """CAS number -> fraction of the material: the material itself (unless its number is
    one of `shared_cas`), then its constituents."""
    shares = {material.cas: 1.0} if material.cas and material.cas not in shared_cas else {}
    for c in constituents:
        if c.material_id == material.id:
            shares[c.cas] = c.percent / 100.0
    return shares
