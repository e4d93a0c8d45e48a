"""Classic accords, the building blocks a perfumer answers a note or a style with:
"rose" by phenylethyl alcohol, citronellol, geraniol and rose oil together, not by
geraniol alone. Shipped as `accords.csv`: one row per member, its parts and a source
(the structures are the classic ones; the parts are estimates and say so)."""

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from fragrance_ai.catalog.loader import DESCRIPTOR_FAMILY, CatalogError, load_catalog
from schemas.brief import Style

COLUMNS = ("accord", "answers", "material_id", "parts", "source")
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
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise CatalogError(f"{path.name} line 1 (header): must be {','.join(COLUMNS)}")
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
