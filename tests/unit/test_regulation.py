"""Compliance by substance, worked by hand: naturals sharing a substance, a group
standard, one formula in two categories, the certificate, allergens and the tables'
own checks."""

from pathlib import Path

import numpy as np
import pytest

from fragrance_ai.catalog import load_catalog
from fragrance_ai.interpreter import interpret
from fragrance_ai.interpreter.errors import ContradictoryBriefError
from fragrance_ai.objective import assemble_formula
from fragrance_ai.optimiser import optimise
from fragrance_ai.regulation import RegulationDataError, load_regulation
from fragrance_ai.regulation.composition import COLUMNS as CONSTITUENT_COLUMNS
from fragrance_ai.regulation.composition import parse_constituents
from fragrance_ai.regulation.standards import COLUMNS as STANDARD_COLUMNS
from fragrance_ai.regulation.standards import parse_standards
from schemas import Brief, Family
from schemas.brief import Product
from tests.fixtures.regulation import regulation, standard

CATALOG = load_catalog()
REGULATION = load_regulation()
CITRUS = {Family.CITRUS: 1.0}


def test_two_naturals_sharing_citral_are_summed_against_one_limit() -> None:
    # litsea holds 80% citral and lemongrass 73% (constituents.csv); 2% of each in an
    # EdT concentrate (10% in the product): 0.1 x (0.02 x 80 + 0.02 x 73) = 0.306% citral
    percents = {"litsea_cubeba_oil": 2.0, "lemongrass_oil": 2.0, "hedione": 96.0}
    formula = assemble_formula(percents, Brief(family_weights=CITRUS, concentration="edt"))
    [citral] = [c for c in formula.ifra if c.standard_id == "citral"]
    assert citral.finished_percent == pytest.approx(0.306)
    assert citral.contributors == pytest.approx(
        {"litsea_cubeba_oil": 0.16, "lemongrass_oil": 0.146}
    )
    assert citral.limit_percent == 0.6 and citral.compliant


def test_a_group_standard_sums_its_members() -> None:
    # a group on substances x and y, limited to 1%: 10% of m1 (50% x) and 10% of m2
    # (30% y) in a 20% parfum give 20 x (0.1 x 0.5 + 0.1 x 0.3) / 100 = 0.016 x 100 = 1.6%
    group = standard("group", 1.0, members=("x", "y"))
    reg = regulation((group,), {"hedione": {"x": 50.0}, "iso_e_super": {"y": 30.0}})
    brief = Brief(family_weights=CITRUS, concentration="parfum", ifra_safety_margin=1.0)
    limits = reg.compile(brief, [CATALOG.get("hedione"), CATALOG.get("iso_e_super")])
    assert limits.amounts(np.array([0.1, 0.1]))[0] == pytest.approx([1.6])
    assert limits.excess(np.array([0.1, 0.1]))[0] == pytest.approx(0.6)


def test_the_same_formula_is_judged_by_its_category() -> None:
    # 5% citral in the concentrate: at 10% in an EdT (category 4, limit 0.6%) it is 0.5% of
    # the product; a shower gel (category 9, limit 1.2%) at 1% holds 0.05%
    percents = {"citral": 5.0, "hedione": 95.0}
    fine = assemble_formula(percents, Brief(family_weights=CITRUS, concentration="edt"))
    gel = assemble_formula(percents, Brief(family_weights=CITRUS, product=Product.SHOWER_GEL))
    [in_fine] = [c for c in fine.ifra if c.standard_id == "citral"]
    [in_gel] = [c for c in gel.ifra if c.standard_id == "citral"]
    assert (fine.ifra_category, in_fine.finished_percent, in_fine.limit_percent) == ("4", 0.5, 0.6)
    assert (gel.ifra_category, in_gel.limit_percent) == ("9", 1.2)
    assert in_gel.finished_percent == pytest.approx(0.05)


def test_the_certificate_names_what_limits_each_category() -> None:
    # 5% citral: category 4 allows 0.6 / 0.05 = 12% of this concentrate, 5A 0.15 / 0.05 = 3%
    formula = assemble_formula({"citral": 5.0, "hedione": 95.0}, Brief(family_weights=CITRUS))
    by_category = {line.category: line for line in formula.certificate}
    assert by_category["4"].max_percent == pytest.approx(12.0)
    assert by_category["5A"].max_percent == pytest.approx(3.0)
    assert by_category["4"].limited_by == "citral"
    assert len(by_category) == 18


def test_allergens_are_labelled_by_the_products_threshold() -> None:
    # 0.5% linalool in the concentrate: 0.005% of a 1% shower gel (rinse-off, labelled
    # above 0.01%) and 0.0025% of a 0.5% body lotion (leave-on, above 0.001%)
    percents = {"linalool": 0.5, "hedione": 99.5}
    gel = assemble_formula(percents, Brief(family_weights=CITRUS, product=Product.SHOWER_GEL))
    lotion = assemble_formula(percents, Brief(family_weights=CITRUS, product=Product.BODY_LOTION))
    [in_gel] = [a for a in gel.allergens if a.allergen_id == "linalool"]
    [in_lotion] = [a for a in lotion.allergens if a.allergen_id == "linalool"]
    assert in_gel.finished_percent == pytest.approx(0.005) and not in_gel.label_required
    assert in_lotion.finished_percent == pytest.approx(0.0025) and in_lotion.label_required


def test_a_wanted_material_its_category_forbids_names_the_standard_and_dose() -> None:
    # safranal: 0.00066% in category 2; a deodorant spray at 1% with the 0.9 margin leaves
    # 0.00066 x 0.9 / 1 x 100 = 0.059% of the concentrate, under a usable dose
    brief = Brief(family_weights={Family.SPICY: 1.0}, wanted_materials=("safranal",))
    deodorant = brief.model_copy(update={"product": Product.DEODORANT_SPRAY})
    with pytest.raises(
        ContradictoryBriefError, match=r"wants safranal, but .* allows at most 0\.059"
    ):
        optimise(deodorant)
    # an EdP (category 4, 0.012%, 15% in the product): 0.012 x 0.9 / 15 x 100 x 0.999 = 0.0719%
    with pytest.raises(ContradictoryBriefError, match=r"at most 0\.0719"):
        optimise(brief)


def test_specifications_appear_as_conditions() -> None:
    formula = assemble_formula({"limonene": 10.0, "hedione": 90.0}, Brief(family_weights=CITRUS))
    assert any("peroxide" in c for c in formula.ifra_conditions)


def test_the_interpreter_reads_the_product() -> None:
    assert interpret("a fresh citrus shower gel").brief.product is Product.SHOWER_GEL
    assert interpret("woody scented candles").brief.product is Product.CANDLE
    assert interpret("an incense and myrrh parfum").brief.product is Product.FINE_FRAGRANCE
    assert interpret("a soapy aldehydic floral").brief.product is Product.FINE_FRAGRANCE


def test_every_product_has_a_category_and_load() -> None:
    for product in Product:
        use = REGULATION.use(Brief(family_weights=CITRUS, product=product))
        assert 0 < use.load_percent <= 100


def test_shipped_tables_name_a_source_on_every_row() -> None:
    assert len(REGULATION.standards) >= 60
    assert all(s.source and s.cross_check for s in REGULATION.standards)
    assert all(c.source for c in REGULATION.constituents)
    assert all(a.source for a in REGULATION.allergens)


def test_a_standard_without_a_source_is_refused(tmp_path: Path) -> None:
    cells = {c: "" for c in STANDARD_COLUMNS}
    cells |= {"standard_id": "x", "name": "X", "type": "restriction", "members": "5392-40-5"}
    cells |= {"cat_4": "0.6", "amendment": "51", "cross_check": "agrees"}
    path = tmp_path / "standards.csv"
    path.write_text(",".join(STANDARD_COLUMNS) + "\n" + ",".join(cells.values()) + "\n")
    with pytest.raises(RegulationDataError, match="line 2: field source"):
        parse_standards(path)


def test_a_constituent_without_a_source_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "constituents.csv"
    path.write_text(",".join(CONSTITUENT_COLUMNS) + "\nlemongrass_oil,citral,5392-40-5,73,,\n")
    with pytest.raises(RegulationDataError, match="line 2: field source"):
        parse_constituents(path, {"lemongrass_oil"})
    path.write_text(",".join(CONSTITUENT_COLUMNS) + "\nlemongrass_oil,citral,5392-40-6,73,x,\n")
    with pytest.raises(RegulationDataError, match="not a valid CAS"):
        parse_constituents(path, {"lemongrass_oil"})
