"""The objective, part by part, on small formulas whose scores are worked out by hand
from the formulas documented in fragrance_ai.objective.scoring."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fragrance_ai.catalog import DESCRIPTOR_FAMILY, Catalog, load_catalog
from fragrance_ai.catalog.loader import load_accords
from fragrance_ai.objective import ScoringProblem, score
from fragrance_ai.objective.constants import HARD_PENALTY, WEIGHTS
from fragrance_ai.objective.dosing import effective_percent
from fragrance_ai.objective.profile import pyramid_target
from schemas import Brief, Concentration, Family, Material, Role
from schemas.brief import Product, Style
from tests.fixtures.regulation import limited


def material(
    id_: str, family: Family, descriptors: tuple[str, ...], role: Role, **kw: object
) -> Material:
    fields: dict[str, object] = {
        "strength": 1.0,
        "cost_per_kg": 10.0,
        "substantivity_h": 10.0,
        "natural": False,
        "confidence": "estimate",
    }
    fields.update(kw)
    return Material(id=id_, name=id_, family=family, descriptors=descriptors, role=role, **fields)


# "lemon", "fresh" are citrus descriptors and "cedar", "dry" woody ones, so the odour
# vectors are pure: A is all citrus, B all woody; C is 0.6 + 0.2 floral, 0.2 gourmand.
A = material("a", Family.CITRUS, ("lemon", "fresh"), Role.TOP, strength=2.0, cost_per_kg=10.0)
B = material("b", Family.WOODY, ("cedar", "dry"), Role.BASE, cost_per_kg=50.0)
C = material("c", Family.FLORAL, ("jasmine", "sweet"), Role.HEART, cost_per_kg=30.0)
CATALOG = Catalog((A, B, C))
B_AT_10 = limited({"b": 10.0})
"""B is a substance limited to 10% of the finished product in every category."""
HALF_HALF = {"a": 50.0, "b": 50.0}
FULL = load_catalog()


def brief(**kw: object) -> Brief:
    fields: dict[str, object] = {"family_weights": {Family.CITRUS: 1.0, Family.WOODY: 1.0}}
    fields.update(kw)
    return Brief.model_validate(fields)


def test_fidelity_is_the_cosine_of_odour_values_through_stevens_law() -> None:
    # A and B carry thresholds of 100 and 400 ppb: P = (0.5/100)^0.5 citrus + (0.5/400)^0.5
    # woody = sqrt(0.005) * (1, 0.5); T = (0.5, 0.5)
    a = material("a", Family.CITRUS, ("lemon", "fresh"), Role.TOP, odour_threshold_ppb=100.0)
    b = material("b", Family.WOODY, ("cedar", "dry"), Role.BASE, odour_threshold_ppb=400.0)
    expected = (1 * 0.5 + 0.5 * 0.5) / (math.hypot(1, 0.5) * math.hypot(0.5, 0.5))
    parts = score(HALF_HALF, brief(), Catalog((a, b)))
    assert parts.fidelity == pytest.approx(expected, abs=1e-12)


def test_doubling_a_dose_does_not_double_its_say() -> None:
    # 80:20 of two materials with equal thresholds: intensities in the ratio 2:1, not 4:1
    a = material("a", Family.CITRUS, ("lemon", "fresh"), Role.TOP, odour_threshold_ppb=50.0)
    b = material("b", Family.WOODY, ("cedar", "dry"), Role.BASE, odour_threshold_ppb=50.0)
    parts = score({"a": 80.0, "b": 20.0}, brief(), Catalog((a, b)))
    expected = (2 * 0.5 + 1 * 0.5) / (math.hypot(2, 1) * math.hypot(0.5, 0.5))
    assert parts.fidelity == pytest.approx(expected, abs=1e-12)


def test_without_a_threshold_one_is_estimated_from_strength() -> None:
    # log10 t = 3.86 - 0.51 * strength: A (strength 2) is 10^0.51 times as potent as B
    # (strength 1) per share, and its intensity 10^0.255 times as large at equal shares
    ratio = 10**0.255
    expected = (ratio * 0.5 + 0.5) / (math.hypot(ratio, 1) * math.hypot(0.5, 0.5))
    assert score(HALF_HALF, brief(), CATALOG).fidelity == pytest.approx(expected, abs=1e-12)


def test_fidelity_mixes_own_family_and_descriptor_families() -> None:
    # C alone: (floral 0.8, gourmand 0.2) against a pure floral target
    parts = score({"c": 1.0}, brief(family_weights={Family.FLORAL: 1.0}), CATALOG)
    assert parts.fidelity == pytest.approx(0.8 / math.hypot(0.8, 0.2), abs=1e-12)


def test_pyramid_is_one_minus_the_role_distance_over_200() -> None:
    # the formula is top 50, heart 0, base 50 against the brief's target T
    target = pyramid_target(brief(concentration=Concentration.EDP))
    distance = abs(50 - target[Role.TOP]) + target[Role.HEART] + abs(50 - target[Role.BASE])
    parts = score(HALF_HALF, brief(concentration=Concentration.EDP), CATALOG)
    assert parts.pyramid == pytest.approx(1 - distance / 200)
    on_target = {"a": target[Role.TOP], "c": target[Role.HEART], "b": target[Role.BASE]}
    assert score(on_target, brief(), CATALOG).pyramid == pytest.approx(1.0)


def test_the_pyramid_target_halves_the_concentration_and_the_character() -> None:
    # a cologne's accord is all top notes (accords.csv): EdC (45, 40, 15) and (100, 0, 0)
    cologne = pyramid_target(brief(style=Style.COLOGNE, concentration=Concentration.EDC))
    assert [cologne[r] for r in Role] == pytest.approx([72.5, 20.0, 7.5])
    # the catalog's 9 leather materials: 1 top, 2 heart, 6 base; EdP (20, 45, 35)
    leather = {m.role for m in FULL if m.family is Family.LEATHER}
    assert leather == set(Role)
    counts = [sum(m.role is r for m in FULL if m.family is Family.LEATHER) for r in Role]
    assert counts == [1, 2, 6]
    target = pyramid_target(brief(family_weights={Family.LEATHER: 1.0}))
    assert [target[r] for r in Role] == pytest.approx([(20 + 100 / 9) / 2, (45 + 200 / 9) / 2,
                                                       (35 + 600 / 9) / 2])  # fmt: skip


def test_ifra_within_the_limit_costs_nothing() -> None:
    # B at 50% of an EdP (15% concentrate) is 7.5% of the product, under 0.9 x 10%
    parts = score(HALF_HALF, brief(), CATALOG, B_AT_10)
    assert parts.ifra == 1.0
    assert parts.total == pytest.approx(sum(WEIGHTS[k] * getattr(parts, k) for k in WEIGHTS))


def test_ifra_breach_is_a_hard_penalty_plus_the_relative_excess() -> None:
    # With no margin, B at 50% of a parfum (20% concentrate) is 10%: on the limit;
    # at 60% it is 12%: excess (12 - 10) / 10 = 0.2
    no_margin = brief(concentration=Concentration.PARFUM, ifra_safety_margin=1.0)
    assert score(HALF_HALF, no_margin, CATALOG, B_AT_10).ifra == 1.0
    parts = score({"a": 40.0, "b": 60.0}, no_margin, CATALOG, B_AT_10)
    assert parts.ifra == pytest.approx(math.exp(-0.2))
    weighted = sum(WEIGHTS[k] * getattr(parts, k) for k in WEIGHTS)
    assert parts.total == pytest.approx(weighted - HARD_PENALTY - 0.2)
    assert parts.total < 0 < score(HALF_HALF, brief(), CATALOG, B_AT_10).total


def test_the_safety_margin_moves_the_line() -> None:
    # the parfum's 10% of B sits on the limit: a breach of 0.9 x 10% by (10 - 9) / 9
    parts = score(HALF_HALF, brief(concentration=Concentration.PARFUM), CATALOG, B_AT_10)
    assert parts.ifra == pytest.approx(math.exp(-1 / 9))
    loose = brief(concentration=Concentration.PARFUM, ifra_safety_margin=1.0)
    assert score(HALF_HALF, loose, CATALOG, B_AT_10).ifra == 1.0


def test_cost_is_one_within_budget_and_falls_as_the_squared_ratio_above() -> None:
    # c = 0.5 * 10 + 0.5 * 50 = 30 per kg
    assert score(HALF_HALF, brief(budget_per_kg=30.0), CATALOG).cost == 1.0
    over = score(HALF_HALF, brief(budget_per_kg=20.0), CATALOG).cost
    assert over == pytest.approx((20 / 30) ** 2)


def test_count_is_max_over_n_above_the_maximum() -> None:
    three = {"a": 40.0, "b": 30.0, "c": 30.0}
    assert score(three, brief(max_materials=3), CATALOG).count == 1.0
    assert score(three, brief(max_materials=2), CATALOG).count == pytest.approx(2 / 3)


def test_wanted_is_the_share_of_wanted_items_answered() -> None:
    parts = score(
        HALF_HALF, brief(wanted_notes=("lemon", "rose"), wanted_materials=("c",)), CATALOG
    )
    assert parts.wanted == pytest.approx(1 / 3)  # lemon met by A; rose and C missing


@pytest.mark.parametrize(
    "exclusion",
    [{"excluded_materials": ("b",)}, {"excluded_notes": ("dry",)}],
)
def test_an_excluded_material_zeroes_its_part_and_costs_a_hard_penalty(
    exclusion: dict[str, object],
) -> None:
    parts = score(HALF_HALF, brief(**exclusion), CATALOG)
    assert parts.excluded == 0.0
    weighted = sum(WEIGHTS[k] * getattr(parts, k) for k in WEIGHTS)
    assert parts.total == pytest.approx(weighted - HARD_PENALTY)


def test_an_excluded_family_counts_like_an_excluded_material() -> None:
    only_citrus = brief(family_weights={Family.CITRUS: 1.0}, excluded_families=(Family.WOODY,))
    assert score(HALF_HALF, only_citrus, CATALOG).excluded == 0.0
    assert score({"a": 1.0}, only_citrus, CATALOG).excluded == 1.0


def test_a_trace_below_the_presence_threshold_is_not_counted() -> None:
    trace = {"a": 99.96, "b": 0.04}
    parts = score(trace, brief(excluded_materials=("b",), max_materials=2), CATALOG)
    assert parts.excluded == 1.0
    # a wanted material at a trace meets its wish only in proportion to its dose
    assert score(trace, brief(wanted_materials=("b",)), CATALOG).wanted == pytest.approx(0.04)


# D is used at 2-8% (usual), at most 20%; E carries D's note "sweet" at 1-4%, at most 10%.
D = material(
    "d", Family.FLORAL, ("jasmine", "sweet"), Role.HEART,
    usual_percent=(2.0, 8.0), max_use_percent=20.0, cost_per_kg=20_000.0,
)  # fmt: skip
E = material(
    "e", Family.FLORAL, ("jasmine", "sweet"), Role.HEART,
    usual_percent=(1.0, 4.0), max_use_percent=10.0,
)  # fmt: skip
DOSED = Catalog((A, B, D, E))


def test_a_wanted_material_is_met_in_proportion_to_its_effective_dose() -> None:
    assert score({"a": 96.0, "d": 4.0}, brief(wanted_materials=("d",)), DOSED).wanted == 0.5
    assert score({"a": 90.0, "d": 10.0}, brief(wanted_materials=("d",)), DOSED).wanted == 1.0


def test_a_wanted_note_is_met_by_its_carriers_doses_together() -> None:
    # 4/8 of D's dose and 2/4 of E's: one effective dose between them
    half_each = {"a": 94.0, "d": 4.0, "e": 2.0}
    assert score(half_each, brief(wanted_notes=("sweet",)), DOSED).wanted == pytest.approx(1.0)
    assert score({"a": 98.0, "e": 2.0}, brief(wanted_notes=("sweet",)), DOSED).wanted == 0.5


def test_a_note_with_an_accord_is_met_by_the_accord_never_by_one_material() -> None:
    # rose: its three members most present, each min(1, p / usual dose), averaged
    rose = load_accords()["rose"]
    doses = {i: effective_percent(FULL.get(i)) for i in rose.parts}
    wants_rose = brief(family_weights={Family.FLORAL: 1.0}, wanted_notes=("rose",))
    three = dict(list(doses.items())[:3])
    full = {**three, "hedione": 100.0 - sum(three.values())}
    assert score(full, wants_rose, FULL).wanted == pytest.approx(1.0)
    geraniol_alone = {"geraniol": 20.0, "hedione": 80.0}
    assert score(geraniol_alone, wants_rose, FULL).wanted == pytest.approx(1 / 3)
    half = {i: d / 2 for i, d in three.items()}
    half["hedione"] = 100.0 - sum(half.values())
    assert score(half, wants_rose, FULL).wanted == pytest.approx(0.5)


def test_use_above_the_typical_maximum_is_a_hard_penalty_plus_the_relative_excess() -> None:
    b = brief(budget_per_kg=1e6)
    within = score({"a": 80.0, "e": 10.0, "b": 10.0}, b, DOSED)
    over = score({"a": 70.0, "e": 20.0, "b": 10.0}, b, DOSED)
    weighted = sum(WEIGHTS[k] * getattr(over, k) for k in WEIGHTS)
    assert within.total == pytest.approx(sum(WEIGHTS[k] * getattr(within, k) for k in WEIGHTS))
    assert over.total == pytest.approx(weighted - HARD_PENALTY - (20.0 - 10.0 - 0.005) / 10.0)


@pytest.mark.parametrize(
    ("concentration", "product", "default"),
    [
        (Concentration.EDC, Product.FINE_FRAGRANCE, 60.0),
        (Concentration.PARFUM, Product.FINE_FRAGRANCE, 150.0),
        (Concentration.EDP, Product.BAR_SOAP, 40.0),
    ],
)
def test_without_a_budget_cost_counts_against_the_default_for_the_product(
    concentration: Concentration, product: Product, default: float
) -> None:
    # 1% of a $20,000/kg material: c = 0.99 * 10 + 0.01 * 20,000 = 209.9 per kg
    b = brief(concentration=concentration, product=product)
    assert score({"a": 99.0, "d": 1.0}, b, DOSED).cost == pytest.approx((default / 209.9) ** 2)
    assert score({"a": 100.0}, b, DOSED).cost == 1.0


def test_the_score_does_not_depend_on_the_scale_of_the_percentages() -> None:
    b = brief(budget_per_kg=20.0, concentration=Concentration.PARFUM, wanted_notes=("lemon",))
    assert score({"a": 1.0, "b": 1.0}, b, CATALOG) == score(HALF_HALF, b, CATALOG)
    assert score({"a": 3, "c": 1}, b, CATALOG) == score({"a": 75.0, "c": 25.0}, b, CATALOG)


def test_an_empty_formula_is_rejected_with_a_message() -> None:
    with pytest.raises(ValueError, match="positive percentage"):
        score({"a": 0.0}, brief(), CATALOG)


# --- batch against scalar ---------------------------------------------------------

NOTES = sorted(DESCRIPTOR_FAMILY)
PARTS = ("fidelity", "pyramid", "ifra", "cost", "count", "wanted", "excluded", "total")


@st.composite
def problems(draw: st.DrawFn) -> tuple[Brief, list[Material], np.ndarray]:
    ids = [m.id for m in FULL]
    chosen = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=12, unique=True))
    wanted_families = draw(
        st.lists(st.sampled_from(list(Family)), min_size=1, max_size=3, unique=True)
    )
    weights = draw(
        st.lists(st.floats(0.1, 5.0), min_size=len(wanted_families), max_size=len(wanted_families))
    )
    others = [f for f in Family if f not in wanted_families]
    excluded_ids = draw(st.lists(st.sampled_from(ids), max_size=2, unique=True))
    wanted_ids = draw(
        st.lists(
            st.sampled_from([i for i in ids if i not in excluded_ids] or ids),
            max_size=2,
            unique=True,
        )
    )
    excluded_notes = draw(st.lists(st.sampled_from(NOTES), max_size=2, unique=True))
    wanted_notes = draw(
        st.lists(
            st.sampled_from([n for n in NOTES if n not in excluded_notes]), max_size=2, unique=True
        )
    )
    brief = Brief(
        family_weights=dict(zip(wanted_families, weights, strict=True)),
        wanted_notes=tuple(wanted_notes),
        wanted_materials=tuple(i for i in wanted_ids if i not in excluded_ids),
        excluded_materials=tuple(excluded_ids),
        excluded_families=tuple(draw(st.lists(st.sampled_from(others), max_size=2, unique=True))),
        excluded_notes=tuple(excluded_notes),
        concentration=draw(st.sampled_from(list(Concentration))),
        product=draw(st.sampled_from(list(Product))),
        style=draw(st.none() | st.sampled_from(list(Style))),
        budget_per_kg=draw(st.none() | st.floats(5.0, 300.0)),
        max_materials=draw(st.integers(2, 12)),
    )
    # whole-number percentages keep every share exactly equal in both versions, so the
    # presence threshold cannot tip one way in one version and the other in the other
    rows = draw(st.integers(1, 6))
    percents = draw(
        st.lists(
            st.lists(st.integers(0, 100), min_size=len(chosen), max_size=len(chosen)).filter(any),
            min_size=rows,
            max_size=rows,
        )
    )
    return brief, [FULL.get(i) for i in chosen], np.array(percents, dtype=float)


@settings(max_examples=150, deadline=None)
@given(problems())
def test_batch_and_scalar_scores_agree(problem: tuple[Brief, list[Material], np.ndarray]) -> None:
    brief, materials, percents = problem
    batch = ScoringProblem.compile(brief, materials).score_batch(percents)
    for row, p in enumerate(percents):
        scalar = score({m.id: float(q) for m, q in zip(materials, p, strict=True)}, brief, FULL)
        for part in PARTS:
            assert getattr(batch, part)[row] == pytest.approx(getattr(scalar, part), abs=1e-6), part
        assert bool(batch.compliant[row]) == (scalar.ifra == 1.0)
