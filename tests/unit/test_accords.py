"""Classic accords and namesakes: the table loads with sources, a note or style brings
its materials at effective doses, and styles are read from the brief."""

from pathlib import Path

import pytest

from fragrance_ai.catalog import CatalogError, load_catalog
from fragrance_ai.catalog.loader import ACCORD_COLUMNS, QUORUM, load_accords, parse_accords
from fragrance_ai.interpreter import interpret
from fragrance_ai.objective.dosing import held_members, namesakes
from schemas.brief import Brief, Concentration, Style
from schemas.material import Family

IDS = {m.id for m in load_catalog()}


def test_the_shipped_accords_answer_the_classic_notes_and_every_style() -> None:
    accords = load_accords()
    styles = [s.value for s in Style if s is not Style.SOLIFLORE]
    notes = ["rose", "jasmine", "muguet", "orange-blossom", "marine", "vanilla", "leather",
             "incense", "amber"]  # fmt: skip
    for word in [*notes, *styles]:
        assert word in accords, word
        assert len(accords[word].parts) >= QUORUM
    assert "soliflore" not in accords  # a soliflore is its flower's accord


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("rose,rose,no_such_material,10,src", "unknown material"),
        ("rose,roses and things,geraniol,10,src", "answers must be notes or styles"),
        ("rose,rose,geraniol,0,src", "positive"),
        ("rose,rose,geraniol,10,", "name a source"),
    ],
)
def test_a_bad_accord_row_is_refused_with_its_line(tmp_path: Path, row: str, problem: str) -> None:
    path = tmp_path / "accords.csv"
    path.write_text(",".join(ACCORD_COLUMNS) + "\n" + row + "\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=f"line 2 .*{problem}"):
        parse_accords(path, IDS)


def test_a_note_brings_its_accord_quorum_or_its_namesake() -> None:
    brief = Brief(
        family_weights={Family.FLORAL: 1.0}, wanted_notes=("rose", "lemon"), max_materials=8
    )
    held = held_members(brief, IDS)
    assert held == [*list(load_accords()["rose"].parts)[:QUORUM], "lemon_oil"]
    assert namesakes()["lemon"] == "lemon_oil"
    assert "violet" not in namesakes()  # violet leaf is not the violet note


def test_held_materials_stop_at_the_brief_s_material_count() -> None:
    brief = Brief(
        family_weights={Family.FLORAL: 1.0},
        wanted_notes=("rose", "jasmine"),
        wanted_materials=("hedione",),
        max_materials=3,
    )
    assert len(held_members(brief, IDS)) == 2


@pytest.mark.parametrize(
    ("text", "style", "concentration"),
    [
        ("a chypre with rose and patchouli", Style.CHYPRE, Concentration.EDP),
        ("a barbershop fougere", Style.FOUGERE, Concentration.EDP),
        ("a classic cologne", Style.COLOGNE, Concentration.EDC),
        ("a classic cologne, intense", Style.COLOGNE, Concentration.PARFUM),
        ("a fresh citrus eau de cologne", None, Concentration.EDC),
    ],
)
def test_styles_are_read_from_the_brief(
    text: str, style: Style | None, concentration: Concentration
) -> None:
    interpretation = interpret(text)
    assert interpretation.brief.style is style
    assert interpretation.brief.concentration is concentration
    if style is not None:
        assert interpretation.evidence["style"]
