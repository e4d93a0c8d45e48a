"""Load and validate the ingredient catalog shipped as `ingredients.csv`."""

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from fragrance_ai.catalog.descriptors import DESCRIPTOR_FAMILY
from schemas.material import Family, Material

COLUMNS = (
    "id",
    "name",
    "cas",
    "family",
    "descriptors",
    "role",
    "substantivity_h",
    "strength",
    "ifra_limit_pct",
    "cost_per_kg",
    "natural",
    "confidence",
)


class CatalogError(ValueError):
    """A catalog row is invalid; the message names the row and the field."""


@dataclass(frozen=True)
class Catalog:
    """The materials, in file order, with lookup by id."""

    materials: tuple[Material, ...]
    _by_id: dict[str, Material] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {m.id: m for m in self.materials})

    def __len__(self) -> int:
        return len(self.materials)

    def __iter__(self) -> Iterator[Material]:
        return iter(self.materials)

    def __contains__(self, material_id: object) -> bool:
        return material_id in self._by_id

    def get(self, material_id: str) -> Material:
        """The material with this id; KeyError naming it when unknown."""
        try:
            return self._by_id[material_id]
        except KeyError:
            raise KeyError(f"unknown material {material_id!r}") from None

    def by_family(self, family: Family) -> list[Material]:
        return [m for m in self.materials if m.family is family]

    def with_descriptor(self, descriptor: str) -> list[Material]:
        return [m for m in self.materials if descriptor in m.descriptors]

    def subset(self, ids: Sequence[str]) -> list[Material]:
        return [self.get(i) for i in ids]


def _parse_row(row: dict[str, str], line: int) -> Material:
    material_id = row.get("id") or f"<line {line}>"
    raw: dict[str, object] = {k: (v.strip() if v else "") for k, v in row.items()}
    raw["cas"] = raw["cas"] or None
    raw["ifra_limit_pct"] = raw["ifra_limit_pct"] or None
    raw["descriptors"] = tuple(d.strip() for d in str(raw["descriptors"]).split(";") if d.strip())
    natural = str(raw["natural"]).lower()
    if natural not in ("true", "false"):
        raise CatalogError(f"catalog line {line} ({material_id}): natural must be true or false")
    raw["natural"] = natural == "true"
    try:
        material = Material.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "row"
        raise CatalogError(
            f"catalog line {line} ({material_id}): field {where}: {first['msg']}"
        ) from None
    unknown = [d for d in material.descriptors if d not in DESCRIPTOR_FAMILY]
    if unknown:
        raise CatalogError(
            f"catalog line {line} ({material_id}): field descriptors: "
            f"unknown descriptor(s) {', '.join(unknown)}"
        )
    return material


def parse_catalog(path: Path) -> Catalog:
    """Read and validate a catalog CSV; raise CatalogError naming the bad row and field."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise CatalogError(f"{path.name}: header must be {','.join(COLUMNS)}")
        materials = [_parse_row(row, reader.line_num) for row in reader]
    seen: set[str] = set()
    for m in materials:
        if m.id in seen:
            raise CatalogError(f"{path.name}: id {m.id!r} appears twice")
        seen.add(m.id)
    return Catalog(tuple(materials))


@cache
def load_catalog() -> Catalog:
    """The shipped catalog, parsed once per process."""
    with resources.as_file(resources.files(__package__) / "ingredients.csv") as path:
        return parse_catalog(path)
