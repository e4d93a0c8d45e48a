"""Styles and accord families read from a brief, the price cap without a budget, and
what a formula says of a named item it cannot give an effective dose."""

import pytest

from fragrance_ai.catalog import load_catalog
from fragrance_ai.interpreter import interpret
from fragrance_ai.objective import assemble_formula
from fragrance_ai.objective.assemble import closest_replacement, shortfall_reason
from fragrance_ai.objective.constants import DEFAULT_BUDGET_PER_KG
from fragrance_ai.objective.dosing import cost_caps, effective_percent
from fragrance_ai.optimiser import optimise
from fragrance_ai.regulation import load_regulation
from schemas.brief import Brief, Concentration, Product, Style
from schemas.material import Family
from tests.fixtures.regulation import regulation, standard

CATALOG = load_catalog()


@pytest.mark.parametrize(
    ("text", "style"),
    [
        ("a woody amber for men", Style.AMBER),
        ("a warm oriental for winter", Style.AMBER),
        ("a leather scent, smoky", Style.LEATHER),
        ("a clean musk for a shampoo", Style.MUSK),
        ("a salted caramel gourmand", Style.GOURMAND),
        ("an aquatic summer fragrance", Style.MARINE),
        ("a rose soliflore", Style.SOLIFLORE),
        ("an aldehydic floral, powdery", Style.ALDEHYDIC_FLORAL),
        ("a chypre with an amber base", Style.CHYPRE),  # a style word beats a family
        ("a clean musk, no amber", Style.MUSK),
        ("fresh citrus, no leather", None),  # a negated family brings nothing
        ("a woody floral", None),  # families that are no one accord
    ],
)
def test_a_style_word_or_a_family_that_is_an_accord_sets_the_style(
    text: str, style: Style | None
) -> None:
    assert interpret(text).brief.style is style


@pytest.mark.parametrize(
    ("text", "members"),
    [
        ("a leather fragrance", {"birch_tar_oil", "suede_base", "labdanum_absolute"}),
        ("a woody amber for men", {"labdanum_absolute", "vanillin", "benzoin_resinoid"}),
        ("a clean white musk", {"galaxolide", "ethylene_brassylate", "habanolide"}),
    ],
)
def test_a_family_that_is_an_accord_brings_the_accord_at_effective_doses(
    text: str, members: set[str]
) -> None:
    formula = optimise(interpret(text).brief).formula
    percents = {line.material_id: line.percent for line in formula.lines}
    for member in members:
        assert percents.get(member, 0.0) >= effective_percent(CATALOG.get(member)) - 0.01, member


def test_a_cologne_is_mostly_top_notes_and_a_leather_mostly_base() -> None:
    cologne = optimise(interpret("a classic cologne with bergamot and neroli").brief).formula
    leather = optimise(interpret("a leather fragrance, dark and smoky").brief).formula
    assert cologne.pyramid.top >= 50.0
    assert leather.pyramid.base >= 40.0


def test_without_a_budget_a_material_that_would_spend_it_alone_is_held_to_its_usual_dose() -> None:
    agarwood, vanillin = CATALOG.get("agarwood_oil"), CATALOG.get("vanillin")
    # agarwood: $20,000/kg at its 2% maximum is $400/kg of concentrate, over EdP's $120
    assert (
        agarwood.cost_per_kg * agarwood.max_use_percent / 100
        > DEFAULT_BUDGET_PER_KG[Concentration.EDP]
    )
    no_budget = Brief(family_weights={Family.WOODY: 1.0})
    caps = cost_caps(no_budget, [agarwood, vanillin])
    assert list(caps) == [effective_percent(agarwood), 100.0]
    with_budget = no_budget.model_copy(update={"budget_per_kg": 5000.0})
    assert list(cost_caps(with_budget, [agarwood, vanillin])) == [100.0, 100.0]


def test_an_oud_without_a_budget_uses_agarwood_at_most_at_its_usual_dose() -> None:
    formula = optimise(interpret("an oud and rose parfum, dark and resinous").brief).formula
    percents = {line.material_id: line.percent for line in formula.lines}
    assert percents.get("agarwood_oil", 0.0) <= effective_percent(CATALOG.get("agarwood_oil"))
    oud = next(use for use in formula.named if use.item == "oud")
    assert oud.honoured


def test_the_reason_a_named_item_falls_short_is_the_first_that_holds() -> None:
    shipped = load_regulation()
    rose = Brief(family_weights={Family.FLORAL: 1.0}, wanted_notes=("rose",))
    excluded = rose.model_copy(
        update={"excluded_families": (Family.FLORAL,), "family_weights": {Family.WOODY: 1.0}}
    )
    assert "exclusions" in shortfall_reason("rose", excluded, CATALOG, shipped, {})
    banned = regulation(
        tuple(standard(f"{m}_substance", 0.0) for m in ("agarwood_oil", "oud_base")),
        {
            "agarwood_oil": {"agarwood_oil_substance": 100.0},
            "oud_base": {"oud_base_substance": 100.0},
        },
    )
    oud = Brief(family_weights={Family.WOODY: 1.0}, wanted_notes=("oud",), product=Product.BAR_SOAP)
    assert shortfall_reason("oud", oud, CATALOG, banned, {}) == "IFRA prohibits it in category 9"
    cheap = Brief(family_weights={Family.WOODY: 1.0}, wanted_materials=("agarwood_oil",),
                  budget_per_kg=20.0)  # fmt: skip
    assert "costs more than the $20/kg budget" in shortfall_reason(
        "agarwood_oil", cheap, CATALOG, shipped, {}
    )
    woods = [m for m in CATALOG if m.family is Family.WOODY][:12]
    full = {m: 1 / 12 for m in woods}
    assert "12-material limit" in shortfall_reason("rose", rose, CATALOG, shipped, full)
    some = {CATALOG.get("geraniol"): 0.01, CATALOG.get("cedarwood_atlas_oil"): 0.99}
    assert "held below its usual dose" in shortfall_reason("rose", rose, CATALOG, shipped, some)
    assert "left out" in shortfall_reason("rose", rose, CATALOG, shipped, {})


def test_the_closest_stand_in_is_the_formula_material_nearest_in_odour() -> None:
    shares = {CATALOG.get(i): 0.25 for i in ("lemon_oil", "cedarwood_atlas_oil", "vanillin")}
    assert closest_replacement("bergamot", shares, CATALOG, ()) == "lemon_oil"
    assert closest_replacement("oud", shares, CATALOG, ()) == "cedarwood_atlas_oil"


def test_a_formula_names_why_a_named_note_is_missing_and_what_stands_in() -> None:
    brief = Brief(family_weights={Family.CITRUS: 1.0}, wanted_notes=("bergamot",), max_materials=2)
    formula = assemble_formula({"lemon_oil": 60.0, "cedarwood_atlas_oil": 40.0}, brief)
    use = next(u for u in formula.named if u.item == "bergamot")
    assert not use.honoured
    assert use.shortfall is not None and "2-material limit" in use.shortfall
    assert use.replaced_by == "lemon_oil"


def test_a_formula_lists_the_accords_it_holds() -> None:
    rose = {"phenylethyl_alcohol": 40.0, "citronellol": 30.0, "geraniol": 20.0, "vanillin": 10.0}
    brief = Brief(family_weights={Family.FLORAL: 1.0})
    assert assemble_formula(rose, brief).accords == ("rose",)
    thin = {"phenylethyl_alcohol": 40.0, "vanillin": 60.0}
    assert assemble_formula(thin, brief).accords == ()
