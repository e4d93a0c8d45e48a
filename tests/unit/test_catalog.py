"""The shipped ingredient catalog, and the loader's refusal of bad rows."""

from collections import Counter
from pathlib import Path
from statistics import median

import pytest

from fragrance_ai.catalog import DESCRIPTOR_FAMILY, CatalogError, load_catalog
from fragrance_ai.catalog.loader import COLUMNS, parse_catalog
from schemas.material import Confidence, Family, Role

CATALOG = load_catalog()
SEED_IDS = (
    "bergamot_oil_fcf",
    "lemon_oil",
    "linalool",
    "lavender_oil",
    "hedione",
    "rose_oxide",
    "iso_e_super",
    "ambroxide",
    "galaxolide",
    "vanillin",
    "coumarin",
    "vetiver_oil",
)
CHEAP_PER_KG = 40.0

HEADER = ",".join(COLUMNS)
GOOD_ROW = "hedione,Hedione,24851-98-7,floral,jasmine;fresh,heart,200,2,25,false,estimate"
OTHER_ROW = "coumarin,Coumarin,91-64-5,gourmand,tonka;hay;sweet,base,400,5,20,false,published"


def test_shipped_catalog_is_large_with_unique_ids() -> None:
    ids = [m.id for m in CATALOG]
    assert len(ids) >= 150
    assert len(set(ids)) == len(ids)


def test_seed_materials_keep_their_ids() -> None:
    assert all(material_id in CATALOG for material_id in SEED_IDS)


def test_every_family_has_six_materials_and_a_cheap_one_in_most() -> None:
    counts = Counter(m.family for m in CATALOG)
    assert {f: counts[f] for f in Family if counts[f] < 6} == {}
    cheap_families = {m.family for m in CATALOG if m.cost_per_kg < CHEAP_PER_KG}
    assert len(cheap_families) >= 12


def test_every_role_is_well_stocked_with_cheap_materials() -> None:
    for role in Role:
        in_role = [m for m in CATALOG if m.role is role]
        assert len(in_role) >= 40, role
        assert sum(m.cost_per_kg < CHEAP_PER_KG for m in in_role) >= 10, role


def test_roles_follow_substantivity() -> None:
    hours = {role: median(m.substantivity_h for m in CATALOG if m.role is role) for role in Role}
    assert hours[Role.TOP] < hours[Role.HEART] < hours[Role.BASE]


def test_every_lexicon_descriptor_is_used_by_a_material() -> None:
    used = {d for m in CATALOG for d in m.descriptors}
    assert set(DESCRIPTOR_FAMILY) - used == set()
    assert len(DESCRIPTOR_FAMILY) >= 90


def test_lexicon_words_are_lowercase_single_or_hyphenated() -> None:
    bad = [
        w for w in DESCRIPTOR_FAMILY if not all(p.isalpha() and p.islower() for p in w.split("-"))
    ]
    assert bad == []


@pytest.mark.parametrize(
    "note", ["bergamot", "neroli", "iris", "oud", "tobacco", "sea", "suede", "fig", "tea", "coffee"]
)
def test_briefing_notes_find_materials(note: str) -> None:
    assert any(note in m.descriptors for m in CATALOG)


def test_confidence_is_marked_and_published_rows_carry_a_cas() -> None:
    assert {m.confidence for m in CATALOG} <= set(Confidence)
    published = [m for m in CATALOG if m.confidence is Confidence.PUBLISHED]
    assert all(m.cas is not None for m in published)
    assert len(published) < len(CATALOG) / 4, "most figures are estimates and must say so"


def test_lookups() -> None:
    assert CATALOG.get("vanillin").name == "Vanillin"
    assert "vanillin" in CATALOG and "unobtainium" not in CATALOG
    with pytest.raises(KeyError, match="unknown material 'unobtainium'"):
        CATALOG.get("unobtainium")


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "catalog.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_small_valid_catalog_parses(tmp_path: Path) -> None:
    catalog = parse_catalog(write(tmp_path, HEADER, GOOD_ROW, OTHER_ROW))
    assert [m.id for m in catalog] == ["hedione", "coumarin"]
    assert catalog.get("coumarin").cost_per_kg == 20
    assert catalog.get("hedione").cas == "24851-98-7"


@pytest.mark.parametrize(
    ("bad_row", "field"),
    [
        (GOOD_ROW.replace(",floral,", ",chypre,"), "family"),
        (GOOD_ROW.replace(",200,", ",two hundred,"), "substantivity_h"),
        (GOOD_ROW.replace(",heart,200,2,", ",heart,200,11,"), "strength"),
        (GOOD_ROW.replace(",25,false", ",-3,false"), "cost_per_kg"),
        (GOOD_ROW.replace("jasmine;fresh", "jasmine"), "descriptors"),
        (GOOD_ROW.replace("jasmine;fresh", "jasmine;fresh;dank"), "descriptors"),
        (GOOD_ROW.replace("jasmine;fresh", "jasmine;jasmine"), "descriptors"),
        (GOOD_ROW.replace("24851-98-7", "24851987"), "cas"),
        (GOOD_ROW.replace("24851-98-7", "24851-98-6"), "cas"),
        (GOOD_ROW.replace(",heart,", ",middle,"), "role"),
        (GOOD_ROW.replace(",false,", ",maybe,"), "natural"),
        (GOOD_ROW.replace(",estimate", ",guess"), "confidence"),
        (GOOD_ROW + ",extra", "row"),
    ],
)
def test_a_bad_row_names_line_id_and_field(tmp_path: Path, bad_row: str, field: str) -> None:
    path = write(tmp_path, HEADER, OTHER_ROW, bad_row)
    with pytest.raises(CatalogError, match=rf"^catalog line 3 \(hedione\): field {field}: "):
        parse_catalog(path)


def test_unknown_descriptor_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER, GOOD_ROW.replace("jasmine;fresh", "jasmine;dank"))
    with pytest.raises(CatalogError, match=r"unknown descriptor.*dank"):
        parse_catalog(path)


def test_a_bad_number_quotes_the_value(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER, GOOD_ROW.replace(",200,", ",two hundred,"))
    with pytest.raises(CatalogError, match="got 'two hundred'"):
        parse_catalog(path)


def test_a_duplicate_id_names_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER, GOOD_ROW, OTHER_ROW, GOOD_ROW)
    with pytest.raises(
        CatalogError, match=r"^catalog line 4 \(hedione\): field id: duplicate of line 2$"
    ):
        parse_catalog(path)


def test_a_wrong_header_names_the_columns(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER.replace("strength", "potency"), GOOD_ROW)
    with pytest.raises(
        CatalogError, match=r"line 1 \(header\).*missing strength; unexpected potency$"
    ):
        parse_catalog(path)


def test_reordered_columns_are_refused(tmp_path: Path) -> None:
    swapped = HEADER.replace("name,cas", "cas,name")
    with pytest.raises(CatalogError, match="in this order; missing none; unexpected none"):
        parse_catalog(write(tmp_path, swapped, GOOD_ROW))


def test_an_empty_or_missing_catalog_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="no materials"):
        parse_catalog(write(tmp_path, HEADER))
    with pytest.raises(CatalogError, match="cannot read catalog"):
        parse_catalog(tmp_path / "absent.csv")
