"""Load and validate the ingredient catalog shipped as `ingredients.csv`, joined with
the dosing facts of `material_facts.csv`."""

import csv
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from fragrance_ai.catalog.descriptors import DESCRIPTOR_FAMILY
from fragrance_ai.catalog.errors import CatalogError
from fragrance_ai.catalog.facts import parse_facts
from schemas.material import Material

COLUMNS = (
    "id",
    "name",
    "cas",
    "family",
    "descriptors",
    "role",
    "substantivity_h",
    "strength",
    "cost_per_kg",
    "natural",
    "confidence",
)


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


def _fail(line: int, material_id: str, field_name: str, problem: str) -> CatalogError:
    return CatalogError(f"catalog line {line} ({material_id}): field {field_name}: {problem}")


def _cas_check_digit_ok(cas: str) -> bool:
    """CAS numbers end in a check digit: the other digits, weighted 1, 2, 3... from
    the right, summed modulo 10. It catches most mistyped numbers."""
    digits = cas.replace("-", "")
    weighted = sum(i * int(d) for i, d in enumerate(reversed(digits[:-1]), start=1))
    return weighted % 10 == int(digits[-1])


def _check_descriptors(material: Material, line: int) -> None:
    unknown = [d for d in material.descriptors if d not in DESCRIPTOR_FAMILY]
    if unknown:
        problem = f"unknown descriptor(s) {', '.join(unknown)}; add them to DESCRIPTOR_FAMILY"
        raise _fail(line, material.id, "descriptors", problem)
    if len(set(material.descriptors)) != len(material.descriptors):
        raise _fail(line, material.id, "descriptors", "a descriptor is repeated")


def _parse_row(row: dict[str | None, str | list[str] | None], line: int) -> Material:
    material_id = str(row.get("id") or "").strip() or "no id"
    if None in row:
        raise _fail(line, material_id, "row", f"more than the {len(COLUMNS)} columns")
    raw: dict[str, object] = {str(k): str(v or "").strip() for k, v in row.items()}
    raw["cas"] = raw["cas"] or None
    raw["descriptors"] = tuple(d.strip() for d in str(raw["descriptors"]).split(";") if d.strip())
    natural = str(raw["natural"]).lower()
    if natural not in ("true", "false"):
        raise _fail(line, material_id, "natural", f"must be true or false, got {natural!r}")
    raw["natural"] = natural == "true"
    try:
        material = Material.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "row"
        raise _fail(line, material_id, where, f"{first['msg']}, got {first['input']!r}") from None
    if material.cas is not None and not _cas_check_digit_ok(material.cas):
        raise _fail(line, material.id, "cas", f"{material.cas} fails the CAS check digit")
    _check_descriptors(material, line)
    return material


def _check_header(fieldnames: Sequence[str] | None, source: str) -> None:
    header = tuple(fieldnames or ())
    if header == COLUMNS:
        return
    missing = [c for c in COLUMNS if c not in header]
    unexpected = [c for c in header if c not in COLUMNS]
    detail = f"missing {', '.join(missing) or 'none'}; unexpected {', '.join(unexpected) or 'none'}"
    raise CatalogError(
        f"{source} line 1 (header): must be {','.join(COLUMNS)} in this order; {detail}"
    )


def _read_rows(reader: "csv.DictReader[str]", source: str) -> list[Material]:
    _check_header(reader.fieldnames, source)
    first_line: dict[str, int] = {}
    materials: list[Material] = []
    for row in reader:
        material = _parse_row(row, reader.line_num)
        if material.id in first_line:
            problem = f"duplicate of line {first_line[material.id]}"
            raise _fail(reader.line_num, material.id, "id", problem)
        first_line[material.id] = reader.line_num
        materials.append(material)
    return materials


def parse_catalog(path: Path) -> Catalog:
    """Read and validate a catalog CSV; raise CatalogError naming the bad line, id and field."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            materials = _read_rows(csv.DictReader(handle), path.name)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CatalogError(f"cannot read catalog {path}: {exc}") from None
    if not materials:
        raise CatalogError(f"{path.name}: the catalog has no materials")
    return Catalog(tuple(materials))


def with_facts(catalog: Catalog, facts: Mapping[str, Mapping[str, Any]]) -> Catalog:
    """Each material with its row of facts. Raises CatalogError when a material has no
    row or a row no material, when the two files give different CAS numbers, or when
    the facts contradict each other (a usual dose above the maximum)."""
    missing = sorted({m.id for m in catalog} - set(facts))
    extra = sorted(set(facts) - {m.id for m in catalog})
    if missing or extra:
        raise CatalogError(
            f"material_facts.csv must have one row per material: missing {missing or 'none'}, "
            f"unknown {extra or 'none'}"
        )
    joined = []
    for material in catalog:
        row = dict(facts[material.id])
        cas = row.pop("cas")
        if material.cas and cas and cas != material.cas:
            raise CatalogError(
                f"{material.id}: CAS {material.cas} in the catalog, {cas} in its facts"
            )
        if cas and not _cas_check_digit_ok(cas):
            raise CatalogError(f"{material.id}: CAS {cas} in its facts fails the check digit")
        try:
            joined.append(
                Material.model_validate({**dict(material), **row, "cas": material.cas or cas})
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            raise CatalogError(f"{material.id}: material_facts.csv: {first['msg']}") from None
    return Catalog(tuple(joined))


@cache
def load_catalog() -> Catalog:
    """The shipped catalog with its facts, parsed once per process."""
    package = resources.files(__package__)
    with (
        resources.as_file(package / "ingredients.csv") as path,
        resources.as_file(package / "material_facts.csv") as facts,
    ):
        return with_facts(parse_catalog(path), parse_facts(facts))
