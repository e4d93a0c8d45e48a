"""The ingredient catalog shipped as package data: `ingredients.csv` loaded and
validated, joined with the dosing facts of `material_facts.csv`, and the classic
accords of `accords.csv` built from its materials.

Odour descriptors are each tied to the olfactive family they evoke (DESCRIPTOR_FAMILY).
Every descriptor of a catalog row must be listed there: the objective uses the
families of a material's descriptors to shade its odour profile, and the brief
interpreter reads the same words as wanted or excluded notes. The words are the
ones a perfumer writes in a brief: single lowercase words, hyphenated when two.

The dosing facts are what a perfumer doses a material by: its maximum and usual use in
a concentrate, odour threshold, volatility and the dilution it is weighed in. Every
figure names its source in the row (an estimate says how it was made); the loader
refuses a figure without one. MATERIAL_FACTS_NOTES.md describes the sources.

Classic accords are the building blocks a perfumer answers a note or a style with:
"rose" by phenylethyl alcohol, citronellol, geraniol and rose oil together, not by
geraniol alone. `accords.csv` has one row per member, its parts and a source (the
structures are the classic ones; the parts are estimates and say so).
"""

import csv
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from schemas.brief import Style
from schemas.material import Family, Material


class CatalogError(ValueError):
    """A catalog row is invalid; the message names the row and the field."""


_WORDS_BY_FAMILY: dict[Family, str] = {
    Family.CITRUS: "bergamot lemon orange fresh mandarin grapefruit lime neroli petitgrain"
    " yuzu zesty verbena",
    Family.AROMATIC: "lavender herbal mint basil rosemary sage thyme camphor juniper fougere",
    Family.GREEN: "green leafy grassy galbanum violet-leaf cucumber fig tea",
    Family.FLORAL: "jasmine rose floral transparent violet tuberose ylang lily muguet magnolia"
    " orange-blossom peony freesia geranium lilac honeysuckle osmanthus hyacinth carnation"
    " gardenia",
    Family.FRUITY: "fruity juicy peach apricot apple pear plum cherry blackcurrant cassis"
    " raspberry strawberry berry pineapple coconut melon rhubarb",
    Family.SPICY: "spicy pepper pink-pepper cinnamon clove cardamom saffron ginger nutmeg cumin"
    " coriander anise",
    Family.WOODY: "woody cedar vetiver sandalwood patchouli oud guaiac pine moss dry smoky earthy",
    Family.AMBER: "amber ambergris warm labdanum benzoin balsamic resinous incense myrrh tobacco",
    Family.MUSK: "musky clean soft skin ambrette",
    Family.GOURMAND: "vanilla sweet tonka hay honey caramel chocolate coffee almond creamy milky",
    Family.LEATHER: "leather suede animalic indolic birch",
    Family.AQUATIC: "marine sea salty ozonic watery rain mineral",
    Family.POWDERY: "powdery iris orris heliotrope mimosa",
    Family.ALDEHYDIC: "aldehydic waxy soapy metallic",
}

DESCRIPTOR_FAMILY: dict[str, Family] = {
    word: family for family, words in _WORDS_BY_FAMILY.items() for word in words.split()
}


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


# The dosing facts of `material_facts.csv`.
FACTS_COLUMNS = (
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
            if tuple(reader.fieldnames or ()) != FACTS_COLUMNS:
                raise CatalogError(
                    f"{path.name} line 1 (header): must be {','.join(FACTS_COLUMNS)}"
                )
            facts: dict[str, dict[str, Any]] = {}
            for row in reader:
                where = f"{path.name} line {reader.line_num} ({row['id']})"
                if row["id"] in facts:
                    raise CatalogError(f"{where}: id repeated")
                facts[row["id"]] = _parse_facts_row(row, where)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CatalogError(f"cannot read {path}: {exc}") from None
    return facts


def _parse_facts_row(row: Mapping[str, str], where: str) -> dict[str, Any]:
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


# Classic accords, from `accords.csv`.
ACCORD_COLUMNS = ("accord", "answers", "material_id", "parts", "source")
QUORUM = 3
"""An accord counts as there when its QUORUM largest members present are each at an
effective dose: several of its materials, never one alone."""


@dataclass(frozen=True)
class Accord:
    id: str
    answers: tuple[str, ...]
    """The notes and styles it answers."""
    parts: dict[str, float]
    """Member material id to its parts, largest first."""

    @property
    def quorum(self) -> int:
        return min(QUORUM, len(self.parts))


def parse_accords(path: Path, material_ids: set[str]) -> dict[str, Accord]:
    """Accords by the note or style they answer. Raises CatalogError naming the line of
    an unknown material, note or style, a part that is not positive, or a row without a
    source."""
    answerable = set(DESCRIPTOR_FAMILY) | {s.value for s in Style}
    rows: dict[str, list[tuple[str, float]]] = {}
    answers: dict[str, tuple[str, ...]] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != ACCORD_COLUMNS:
            raise CatalogError(f"{path.name} line 1 (header): must be {','.join(ACCORD_COLUMNS)}")
        for row in reader:
            where = f"{path.name} line {reader.line_num} ({row['accord']})"
            words = tuple(w.strip() for w in row["answers"].split(";") if w.strip())
            unknown = [w for w in words if w not in answerable]
            if not words or unknown:
                raise CatalogError(f"{where}: answers must be notes or styles, got {unknown}")
            if row["material_id"] not in material_ids:
                raise CatalogError(f"{where}: unknown material {row['material_id']!r}")
            try:
                parts = float(row["parts"])
            except ValueError:
                raise CatalogError(f"{where}: parts must be a number") from None
            if parts <= 0 or not row["source"].strip():
                raise CatalogError(f"{where}: parts must be positive and the row name a source")
            rows.setdefault(row["accord"], []).append((row["material_id"], parts))
            answers[row["accord"]] = words
    by_answer: dict[str, Accord] = {}
    for accord_id, members in rows.items():
        ordered = dict(sorted(members, key=lambda member: -member[1]))
        accord = Accord(accord_id, answers[accord_id], ordered)
        for word in accord.answers:
            if word in by_answer:
                raise CatalogError(f"{path.name}: '{word}' answered by two accords")
            by_answer[word] = accord
    return by_answer


@cache
def load_accords() -> dict[str, Accord]:
    """The shipped accords by the note or style they answer, parsed once per process."""
    ids = {m.id for m in load_catalog()}
    with resources.as_file(resources.files(__package__) / "accords.csv") as path:
        return parse_accords(path, ids)
