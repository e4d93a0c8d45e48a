"""The dosing facts joined to the catalog: every material has a maximum and a usual dose
with a source, figures without a source are refused, and a batch sheet weighs them."""

from pathlib import Path

import pytest

from fragrance_ai.catalog import Catalog, CatalogError, load_catalog
from fragrance_ai.catalog.loader import FACTS_COLUMNS, parse_facts, with_facts
from fragrance_ai.objective.assemble import batch_sheet

CATALOG = load_catalog()
HEADER = ",".join(FACTS_COLUMNS)


def _facts(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "material_facts.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_every_shipped_material_has_a_maximum_and_a_usual_dose_within_it() -> None:
    for m in CATALOG:
        assert m.max_use_percent is not None, m.id
        assert m.usual_percent is not None, m.id
        low, average = m.usual_percent
        assert 0 < low <= average <= m.max_use_percent, m.id
        assert m.dilution_percent in (1.0, 10.0, 100.0), m.id


def test_potent_materials_are_weighed_diluted_and_capped_low() -> None:
    for material_id in ("skatole", "indole", "nonadienal"):
        m = CATALOG.get(material_id)
        assert m.dilution_percent < 100 and m.max_use_percent is not None
        assert m.max_use_percent <= 2.0, material_id


def test_a_row_parses_into_material_fields(tmp_path: Path) -> None:
    facts = parse_facts(
        _facts(tmp_path, "lin,78-70-6,12,0.1,7,TGSC,951,Abraham 2012,,197,chemicals,100,")
    )
    assert facts["lin"]["max_use_percent"] == 12.0
    assert facts["lin"]["usual_percent"] == (0.1, 7.0)
    assert facts["lin"]["vapour_pressure_pa"] is None and facts["lin"]["boiling_point_c"] == 197


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("lin,,12,0.1,7,,,,,,,100,", "max_use_pct has no source in use_source"),
        ("lin,,12,0.1,7,TGSC,951,,,,,100,", "odour_threshold_ppb has no source"),
        ("lin,,12,0.1,,TGSC,,,,,,100,", "go together"),
        ("lin,,twelve,0.1,7,TGSC,,,,,,100,", "max_use_pct must be a number, got 'twelve'"),
    ],
)
def test_a_bad_row_is_refused_with_its_line_and_column(
    tmp_path: Path, row: str, problem: str
) -> None:
    with pytest.raises(CatalogError, match=f"line 2 \\(lin\\).*{problem}"):
        parse_facts(_facts(tmp_path, row))


def test_facts_must_cover_the_catalog_and_agree_with_it(tmp_path: Path) -> None:
    linalool = CATALOG.get("linalool")
    small = Catalog((linalool,))
    with pytest.raises(CatalogError, match="missing \\['linalool'\\]"):
        with_facts(small, {})
    wrong_cas = parse_facts(_facts(tmp_path, "linalool,78-70-7,12,0.1,7,TGSC,,,,,,100,"))
    with pytest.raises(CatalogError, match="78-70-6 in the catalog, 78-70-7"):
        with_facts(small, wrong_cas)
    above_max = parse_facts(_facts(tmp_path, "linalool,,5,0.1,7,TGSC,,,,,,100,"))
    with pytest.raises(CatalogError, match="within the maximum use of 5"):
        with_facts(small, above_max)


def test_the_batch_sheet_weighs_potent_materials_diluted_and_the_rest_neat() -> None:
    indole, hedione = CATALOG.get("indole"), CATALOG.get("hedione")
    sheet = batch_sheet({hedione: 99.5, indole: 0.5}, batch_grams=200.0)
    by_id = {line.material_id: line for line in sheet.lines}
    assert by_id["hedione"].grams == by_id["hedione"].weigh_grams == 199.0
    assert by_id["indole"].grams == 1.0
    assert by_id["indole"].weigh_grams == 100.0 / indole.dilution_percent
    assert sheet.solvent_grams == pytest.approx(by_id["indole"].weigh_grams - 1.0)
    assert sum(line.grams for line in sheet.lines) == pytest.approx(200.0)


def test_a_dose_too_large_to_weigh_diluted_is_weighed_neat() -> None:
    indole = CATALOG.get("indole")
    sheet = batch_sheet({indole: 50.0}, batch_grams=100.0)
    assert sheet.lines[0].dilution_percent == 100.0 and sheet.solvent_grams == 0.0


def test_a_batch_of_no_weight_is_refused() -> None:
    with pytest.raises(ValueError, match="more than 0 g"):
        batch_sheet({CATALOG.get("hedione"): 100.0}, batch_grams=0.0)
