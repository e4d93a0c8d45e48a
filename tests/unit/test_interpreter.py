"""The rule-based interpreter on briefs as perfumers write them, and on bad ones."""

from dataclasses import dataclass, field
from typing import TypeVar

import pytest

from fragrance_ai.catalog import DESCRIPTOR_FAMILY, Catalog, load_catalog
from fragrance_ai.interpreter import (
    MAX_BRIEF_CHARS,
    BriefError,
    BriefTooLongError,
    BudgetError,
    ContradictoryBriefError,
    EmptyBriefError,
    MaterialCountError,
    OffTopicBriefError,
    UnknownMaterialError,
    VagueBriefError,
    interpret,
)
from fragrance_ai.interpreter.interpreter import build_brief
from fragrance_ai.interpreter.limits import USD_PER_EUR, USD_PER_GBP
from schemas.brief import Brief, Concentration, Gender, Interpretation, Season, wanted_and_excluded
from schemas.material import Family

C, G, S, F = Concentration, Gender, Season, Family
T = TypeVar("T")


@dataclass(frozen=True)
class Case:
    """A brief and what it must say; fields left at their default are not checked,
    except that exclusions are checked exactly when given."""

    text: str
    dominant: Family | None = None
    families: frozenset[Family] = frozenset()
    absent: frozenset[Family] = frozenset()
    excluded_families: frozenset[Family] | None = None
    excluded_notes: frozenset[str] | None = None
    excluded_materials: frozenset[str] | None = None
    wanted_notes: frozenset[str] = frozenset()
    wanted_materials: frozenset[str] = frozenset()
    budget: float | None = None
    concentration: Concentration | None = None
    season: Season | None = None
    gender: Gender | None = None
    max_materials: int | None = None
    evidence: dict[str, tuple[str, ...]] = field(default_factory=dict)
    note: str | None = None


def fs(*items: T) -> frozenset[T]:
    return frozenset(items)


CASES = [
    Case(
        "a fresh citrus summer scent for men, woody base, under $40/kg",
        dominant=F.CITRUS,
        families=fs(F.WOODY),
        budget=40.0,
        season=S.SUMMER,
        gender=G.MASCULINE,
        concentration=C.EDP,
        evidence={
            "family_weights": ("citrus", "woody base", "fresh"),
            "budget_per_kg": ("under $40/kg",),
            "gender": ("for men",),
        },
        note="EdP by default",
    ),
    Case(
        "floral heart, no musk or vanilla, 40 EUR per kilo max, at most 8 materials, EdT",
        dominant=F.FLORAL,
        excluded_families=fs(F.MUSK),
        excluded_notes=fs("vanilla"),
        budget=round(40 * USD_PER_EUR, 2),
        max_materials=8,
        concentration=C.EDT,
        evidence={
            "budget_per_kg": ("40 EUR per kilo max",),
            "excluded_families": ("no musk",),
            "max_materials": ("at most 8 materials",),
        },
        note="approximate fixed rate",
    ),
    Case(
        "use hedione and iso e super, not too sweet, something light for her",
        wanted_materials=fs("hedione", "iso_e_super"),
        excluded_notes=fs("sweet"),
        concentration=C.EDT,
        gender=G.FEMININE,
        evidence={"excluded_notes": ("not too sweet",), "concentration": ("light",)},
        note="'light' suggests EdT",
    ),
    Case(
        "without vanilla or tonka, citrus",
        dominant=F.CITRUS,
        excluded_notes=fs("vanilla", "tonka"),
        absent=fs(F.GOURMAND),
    ),
    Case(
        "no musk and a woody base",
        dominant=F.WOODY,
        excluded_families=fs(F.MUSK),
        evidence={"excluded_families": ("no musk",), "family_weights": ("woody base",)},
    ),
    Case(
        "nothing animalic, musk-free, powdery iris heart for spring",
        dominant=F.POWDERY,
        excluded_families=fs(F.LEATHER, F.MUSK),
        wanted_notes=fs("iris"),
        season=S.SPRING,
        evidence={"excluded_families": ("nothing animalic", "musk-free")},
    ),
    Case(
        "avoid oud, a cozy amber oriental for winter",
        dominant=F.AMBER,
        excluded_notes=fs("oud"),
        season=S.WINTER,
        evidence={"excluded_notes": ("avoid oud",)},
    ),
    Case(
        "free of aldehydes, white floral bouquet",
        dominant=F.FLORAL,
        excluded_families=fs(F.ALDEHYDIC),
        evidence={"excluded_families": ("free of aldehydes",)},
    ),
    Case(
        "don't want anything sweet, green and leafy",
        dominant=F.GREEN,
        excluded_notes=fs("sweet"),
        wanted_notes=fs("leafy"),
    ),
    Case(
        "no heavy musk, sandalwood",
        dominant=F.WOODY,
        excluded_families=fs(F.MUSK),
        concentration=C.EDP,
    ),
    Case("nothing too heavy, sandalwood", dominant=F.WOODY, concentration=C.EDT),
    Case(
        "A minimalist chypre eau de toilette for her, 50€/kg",
        dominant=F.WOODY,
        families=fs(F.CITRUS, F.FLORAL),
        max_materials=6,
        concentration=C.EDT,
        gender=G.FEMININE,
        budget=round(50 * USD_PER_EUR, 2),
        evidence={"max_materials": ("minimalist",), "concentration": ("eau de toilette",)},
    ),
    Case(
        "rose and oud, vetiver base, extrait, less than 30 dollars a kilo",
        dominant=F.WOODY,
        families=fs(F.FLORAL),
        wanted_notes=fs("rose", "oud", "vetiver"),
        concentration=C.PARFUM,
        budget=30.0,
        evidence={"budget_per_kg": ("less than 30 dollars a kilo",)},
    ),
    Case(
        "marine ozonic summer splash, £25 per kg",
        dominant=F.AQUATIC,
        concentration=C.EDC,
        season=S.SUMMER,
        budget=round(25 * USD_PER_GBP, 2),
        note="USD per GBP",
    ),
    Case(
        "fougere for men, not too sweet, avoid coumarin, budget 35 USD/kg",
        dominant=F.AROMATIC,
        excluded_materials=fs("coumarin"),
        excluded_notes=fs("sweet"),
        gender=G.MASCULINE,
        budget=35.0,
        evidence={
            "budget_per_kg": ("budget 35 USD/kg",),
            "excluded_materials": ("avoid coumarin",),
        },
    ),
    Case(
        "something cozy and long-lasting for winter evenings",
        dominant=F.AMBER,
        concentration=C.PARFUM,
        season=S.WINTER,
        evidence={"concentration": ("long-lasting",)},
    ),
    Case("$0.05/g budget, green fig tea", dominant=F.GREEN, budget=50.0, note="per kg"),
    Case("between $30 and $40/kg vetiver", dominant=F.WOODY, budget=40.0),
    Case("under 40/kg, citrus", budget=40.0, note="read as USD"),
    Case("$1,200/kg luxurious oud extrait", budget=1200.0, concentration=C.PARFUM),
    Case(
        "up to 8 raw materials, a citrus cologne",
        dominant=F.CITRUS,
        max_materials=8,
        concentration=C.EDC,
    ),
    Case("a 5-ingredient lime cologne", max_materials=5, wanted_notes=fs("lime")),
    Case(
        "fewer than 10 materials, spicy oriental",
        families=fs(F.SPICY, F.AMBER),
        max_materials=9,
    ),
    Case("eight ingredients max, tuberose", dominant=F.FLORAL, max_materials=8),
    Case(
        "woody for men and women",
        gender=G.UNISEX,
        evidence={"gender": ("for men", "women")},
        note="unisex",
    ),
    Case("citrus EdT or EdP", concentration=C.EDT, note="several values of concentration"),
    Case("a summer/spring floral, not for winter", season=S.SUMMER, note="several values"),
    Case(
        "BERGAMOT!!! Neroli... petitgrain??? (EDC)",
        dominant=F.CITRUS,
        wanted_notes=fs("bergamot", "neroli", "petitgrain"),
        concentration=C.EDC,
    ),
    Case(
        "Fougère aromatique pour homme, 40 euros/kg",
        dominant=F.AROMATIC,
        gender=G.MASCULINE,
        budget=round(40 * USD_PER_EUR, 2),
        evidence={"family_weights": ("Fougère",)},
    ),
    Case(
        "a dark leathery tobacco scent, nothing floral, at most ten materials, EdP, "
        "$60 per kilogram",
        dominant=F.LEATHER,
        excluded_families=fs(F.FLORAL),
        absent=fs(F.FLORAL),
        max_materials=10,
        budget=60.0,
        concentration=C.EDP,
    ),
    Case(
        "clean soapy musk, use Galaxolide and ambrettolide, no ozonic notes, unisex",
        dominant=F.MUSK,
        wanted_materials=fs("galaxolide", "ambrettolide"),
        excluded_families=fs(F.AQUATIC),
        gender=G.UNISEX,
    ),
    Case(
        "Iso E Super overdose with cedar and 'Hedione'",
        dominant=F.WOODY,
        wanted_materials=fs("iso_e_super", "hedione"),
        evidence={"wanted_materials": ("Iso E Super", "Hedione")},
    ),
    Case(
        "a heart of rose, base of vetiver, citrus top",
        families=fs(F.FLORAL, F.WOODY, F.CITRUS),
        evidence={"family_weights": ("heart of rose", "base of vetiver", "citrus top")},
    ),
    Case("a light aquatic for the beach, eau de parfum", concentration=C.EDP),
    Case(
        "budget 45 GBP per kilo, gourmand vanilla caramel",
        dominant=F.GOURMAND,
        budget=round(45 * USD_PER_GBP, 2),
    ),
    Case(
        "an ambery oriental with labdanum and benzoin, masculine, intense",
        dominant=F.AMBER,
        gender=G.MASCULINE,
        concentration=C.PARFUM,
    ),
    Case("summer citrus", dominant=F.CITRUS, families=fs(F.AQUATIC), note="weak summer prior"),
    Case("citrus and woody, summer", absent=fs(F.AQUATIC, F.GREEN), season=S.SUMMER),
    Case(
        "a feminine floral",
        dominant=F.FLORAL,
        families=fs(F.FRUITY, F.POWDERY),
        gender=G.FEMININE,
    ),
    Case(
        "an aldehydic floral like the classics, powdery, parfum",
        families=fs(F.ALDEHYDIC, F.FLORAL, F.POWDERY),
        concentration=C.PARFUM,
    ),
    Case(
        "green galbanum and violet leaf, spring, edt",
        dominant=F.GREEN,
        wanted_notes=fs("galbanum", "violet-leaf"),
        season=S.SPRING,
        concentration=C.EDT,
    ),
    Case(
        "zesty grapefruit and pink pepper opening, cedar drydown, under €35/kg, max 9 materials",
        dominant=F.CITRUS,
        families=fs(F.SPICY, F.WOODY),
        wanted_notes=fs("grapefruit", "pink-pepper", "cedar"),
        budget=round(35 * USD_PER_EUR, 2),
        max_materials=9,
    ),
    Case(
        "no more than 12 ingredients, crisp and fresh, no citrus",
        families=fs(F.GREEN),
        absent=fs(F.CITRUS),
        excluded_families=fs(F.CITRUS),
        max_materials=12,
        note="dropped",
    ),
    Case(
        "a smoky incense and leather accord, not sweet, for fall",
        dominant=F.LEATHER,
        excluded_notes=fs("sweet"),
        season=S.AUTUMN,
        evidence={"family_weights": ("leather accord",)},
    ),
    Case("subtle skin scent of musk and iris", dominant=F.MUSK, concentration=C.EDT),
    Case("rose", dominant=F.FLORAL, wanted_notes=fs("rose"), excluded_notes=fs()),
    Case("Vetiver.", dominant=F.WOODY),
    Case("avoid zorbs, rose", dominant=F.FLORAL, note="'zorbs' is not a family"),
    Case(
        "use natural ingredients and French lavender with a touch of Hedione",
        wanted_notes=fs("lavender"),
        wanted_materials=fs("hedione"),
    ),
    Case(
        "featuring Mysore sandalwood and Bulgarian rose",
        families=fs(F.WOODY, F.FLORAL),
        wanted_notes=fs("sandalwood", "rose"),
    ),
    Case("not a gourmand, woody", dominant=F.WOODY, excluded_families=fs(F.GOURMAND)),
    Case(
        "Citrus-free woody, EDP, women's",
        dominant=F.WOODY,
        excluded_families=fs(F.CITRUS),
        gender=G.FEMININE,
        concentration=C.EDP,
        evidence={"excluded_families": ("Citrus-free",)},
    ),
    Case(
        "Using Calone for a marine accord, no more than $40/kg",
        dominant=F.AQUATIC,
        wanted_materials=fs("calone"),
        budget=40.0,
        evidence={"budget_per_kg": ("no more than $40/kg",)},
    ),
    Case(
        "For the spring collection we would like an elegant, luminous floral built around "
        "a heart of rose and jasmine with a touch of hedione, opened by a sparkling "
        "bergamot and mandarin top and resting on a soft, clean musky base with some "
        "sandalwood. It must feel modern and transparent rather than powdery or vintage: "
        "no aldehydes, nothing animalic, and avoid oakmoss absolute. The client wants an "
        "eau de parfum for women that lasts, at most 11 materials, and the budget is "
        "45 EUR per kg of concentrate at the very most.",
        dominant=F.FLORAL,
        families=fs(F.CITRUS, F.MUSK, F.WOODY),
        excluded_families=fs(F.ALDEHYDIC, F.LEATHER),
        excluded_materials=fs("oakmoss_absolute"),
        wanted_notes=fs("rose", "jasmine", "bergamot", "mandarin", "sandalwood"),
        wanted_materials=fs("hedione"),
        concentration=C.EDP,
        season=S.SPRING,
        gender=G.FEMININE,
        max_materials=11,
        budget=round(45 * USD_PER_EUR, 2),
    ),
]


def _check(result: Interpretation, case: Case) -> None:
    brief = result.brief
    weights = brief.family_weights
    if case.dominant is not None:
        assert max(weights, key=weights.__getitem__) is case.dominant, weights
    assert case.families <= set(weights), weights
    assert not case.absent & set(weights), weights
    for name in ("excluded_families", "excluded_notes", "excluded_materials"):
        expected = getattr(case, name)
        if expected is not None:
            assert set(getattr(brief, name)) == expected, name
    assert case.wanted_notes <= set(brief.wanted_notes)
    assert case.wanted_materials <= set(brief.wanted_materials)
    if case.budget is not None:
        assert brief.budget_per_kg == pytest.approx(case.budget, abs=0.01)
    for name in ("concentration", "season", "gender", "max_materials"):
        expected = getattr(case, name)
        if expected is not None:
            assert getattr(brief, name) == expected, name
    for name, words in case.evidence.items():
        cited = [w.lower() for w in result.evidence.get(name, [])]
        assert all(w.lower() in cited for w in words), (name, cited)
    if case.note is not None:
        assert any(case.note in n for n in result.notes), result.notes


@pytest.mark.parametrize("case", CASES, ids=[c.text[:48] for c in CASES])
def test_brief_is_read_as_a_perfumer_means_it(case: Case) -> None:
    result = interpret(case.text)
    _check(result, case)
    assert set(result.evidence) <= set(Brief.model_fields)
    assert sum(result.brief.family_weights.values()) == pytest.approx(1.0, abs=1e-3)


def test_at_least_forty_briefs() -> None:
    assert len(CASES) >= 40


def test_same_text_same_interpretation() -> None:
    text = CASES[1].text
    assert interpret(text) == interpret(text)


def test_new_descriptor_words_are_read_at_run_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(DESCRIPTOR_FAMILY, "driftwood", F.WOODY)
    result = interpret("driftwood and sea salt")
    assert "driftwood" in result.brief.wanted_notes
    assert F.WOODY in result.brief.family_weights


def test_explicit_family_outweighs_a_note_of_another_family() -> None:
    weights = interpret("woody, with a little bergamot").brief.family_weights
    assert weights[F.WOODY] > weights[F.CITRUS] > 0


def test_a_given_catalog_is_the_one_used() -> None:
    full = load_catalog()
    small = Catalog(tuple(full.get(i) for i in ["hedione", "vanillin", "lemon_oil"]))
    assert interpret("use hedione", catalog=small).brief.wanted_materials == ("hedione",)
    with pytest.raises(UnknownMaterialError, match=r"\(3 materials\)"):
        interpret("use Iso E Super, woody", catalog=small)


# --- bad input ---------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_empty_brief(text: str) -> None:
    with pytest.raises(EmptyBriefError, match="the brief is empty"):
        interpret(text)


def test_brief_over_the_limit_says_the_limit() -> None:
    text = "citrus " * (MAX_BRIEF_CHARS // 7 + 1)
    with pytest.raises(BriefTooLongError, match=rf"limit is {MAX_BRIEF_CHARS}"):
        interpret(text)
    assert interpret(text[:MAX_BRIEF_CHARS]).brief.family_weights == {F.CITRUS: 1.0}


def test_brief_that_is_not_text() -> None:
    with pytest.raises(BriefError, match="must be text, not int"):
        interpret(42)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("citrus but no citrus", "the citrus family"),
        ("rose, no rose", "the note 'rose'"),
        ("use hedione but no hedione", "Hedione"),
        ("use vanillin, not sweet", "Vanillin, which smells sweet"),
        ("vanilla, no gourmand", "the gourmand family"),
        ("bergamot, but nothing citrus", "the citrus family"),
        ("aquatic but without any marine notes", "the aquatic family"),
    ],
)
def test_contradictory_brief_names_what_clashes(text: str, named: str) -> None:
    with pytest.raises(ContradictoryBriefError, match="both wants and excludes") as caught:
        interpret(text)
    assert named in str(caught.value)


def test_brief_validator_contradiction_becomes_a_clean_error() -> None:
    fields = {"family_weights": {F.FLORAL: 1.0}, "wanted_notes": ("rose",)}
    with pytest.raises(ContradictoryBriefError) as caught:
        build_brief({**fields, "excluded_notes": ("rose",)})
    assert str(caught.value) == "the brief both wants and excludes the note(s) rose"


@pytest.mark.parametrize(
    ("text", "name", "suggestion"),
    [
        ("use Zorbanol with bergamot", "Zorbanol", None),
        ("use zorbanol, rose", "zorbanol", None),
        ("use hedion and vetiver", "hedion", "Hedione"),
        ('a "Moonwood" accord over iris', "Moonwood", None),
        ("woody, including Ambroxan and Iso E Super", "Ambroxan", "Ambroxide"),
    ],
)
def test_unknown_material_is_named_with_close_catalog_names(
    text: str, name: str, suggestion: str | None
) -> None:
    with pytest.raises(UnknownMaterialError, match=f"'{name}' is not in the ingredient catalog"):
        interpret(text)
    if suggestion is not None:
        with pytest.raises(UnknownMaterialError) as caught:
            interpret(text)
        assert any(s.startswith(suggestion) for s in caught.value.suggestions)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("a nice summer perfume for men", "names no family or note"),
        ("something special, please", "names no family or note"),
        ("no musk", "says only what to avoid"),
    ],
)
def test_vague_brief_says_what_words_are_understood(text: str, reason: str) -> None:
    with pytest.raises(VagueBriefError, match=reason) as caught:
        interpret(text)
    message = str(caught.value)
    assert "family" in message and "note" in message and "catalog material" in message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("$40 per bottle, citrus", "is not per kilogram"),
        ("citrus under $0/kg", "must be more than zero"),
    ],
)
def test_unusable_budget(text: str, message: str) -> None:
    with pytest.raises(BudgetError, match=message):
        interpret(text)


@pytest.mark.parametrize("text", ["at most 1 material, citrus", "rose with 50 ingredients"])
def test_material_count_out_of_range(text: str) -> None:
    with pytest.raises(MaterialCountError, match="between 2 and 40"):
        interpret(text)


@pytest.mark.parametrize(
    ("text", "asked_for"),
    [
        ("please write me a poem about the sea", "poem"),
        ("tell me a story about flowers in spring", "story"),
        ("translate 'citrus' into French", "translate"),
    ],
)
def test_a_request_for_something_else_is_off_topic(text: str, asked_for: str) -> None:
    with pytest.raises(OffTopicBriefError, match=f"asks for a {asked_for}, not a scent"):
        interpret(text)


@pytest.mark.parametrize(
    ("text", "wanted", "excluded"),
    [
        ("Vetiver and a hint of earth, no smokiness", {"vetiver", "earthy"}, {"smoky"}),
        ("Rose and salted caramel, nothing honeyed", {"rose", "salty", "caramel"}, {"honey"}),
        ("Cedar with smoked birch, no resin", {"cedar", "smoky", "birch"}, {"resinous"}),
    ],
)
def test_a_note_is_read_in_another_form_of_its_word(
    text: str, wanted: set[str], excluded: set[str]
) -> None:
    brief = interpret(text).brief
    assert set(brief.wanted_notes) == wanted
    assert set(brief.excluded_notes) == excluded


def test_a_perfume_word_keeps_a_brief_that_mentions_a_poem_on_topic() -> None:
    brief = interpret("a perfume inspired by a poem about the sea").brief
    assert set(brief.family_weights) == {Family.AQUATIC}


@pytest.mark.parametrize("text", ["xyzzy plugh frobnicate", "lorem ipsum dolor sit amet"])
def test_gibberish_names_no_family_or_note(text: str) -> None:
    with pytest.raises(VagueBriefError, match="names no family or note"):
        interpret(text)


def test_a_family_is_both_wanted_and_excluded_only_when_weighted_above_zero() -> None:
    assert wanted_and_excluded({F.MUSK: 0.5, F.CITRUS: 0.5}, (F.MUSK,)) == [F.MUSK]
    assert wanted_and_excluded({F.MUSK: 0.0, F.CITRUS: 1.0}, (F.MUSK,)) == []
    assert wanted_and_excluded({"musk": "1", "citrus": 1}, ("musk",)) == []  # a reply's text
    Brief(family_weights={F.MUSK: 0.0, F.CITRUS: 1.0}, excluded_families=(F.MUSK,))
    with pytest.raises(ValueError, match="both wants and excludes the family"):
        Brief(family_weights={F.MUSK: 0.5, F.CITRUS: 0.5}, excluded_families=(F.MUSK,))


@pytest.mark.parametrize(
    ("text", "excluded", "cue"),
    [
        ("not a fan of rose, a fresh green scent", {"rose"}, "not a fan of rose"),
        ("a clean musk, free from any smoky notes", {"smoky"}, "free from any smoky"),
        ("allergic to lavender: a citrus cologne", {"lavender"}, "allergic to lavender"),
        ("a woody scent, but I can't stand vanilla", {"vanilla"}, "can't stand vanilla"),
        ("she cannot stand oud; a floral for her", {"oud"}, "cannot stand oud"),
        ("he dislikes patchouli and hates tonka, a fresh aquatic", {"patchouli", "tonka"}, None),
        ("a citrus cologne; leave out the lavender", {"lavender"}, "leave out the lavender"),
        ("a rose for her, but stay away from oud", {"oud"}, "away from oud"),
        ("steer clear of vanilla in this amber", {"vanilla"}, "clear of vanilla"),
        ("a woody rose, and don't add any patchouli", {"patchouli"}, "don't add any patchouli"),
        ("an amber, please do not include tonka", {"tonka"}, "do not include tonka"),
    ],
)
def test_more_ways_to_rule_a_note_out(text: str, excluded: set[str], cue: str | None) -> None:
    result = interpret(text)
    assert set(result.brief.excluded_notes) == excluded
    assert not excluded & set(result.brief.wanted_notes)
    if cue is not None:
        assert cue in result.evidence["excluded_notes"]


@pytest.mark.parametrize(
    ("text", "gender"),
    [
        ("a citrus splash for teenage boys", Gender.MASCULINE),
        ("a rose gift for my wife", Gender.FEMININE),
        ("an amber for my dad and my mum", Gender.UNISEX),
        ("a woody scent the guys at the gym will like", Gender.MASCULINE),
    ],
)
def test_who_a_scent_is_for_sets_its_gender(text: str, gender: Gender) -> None:
    assert interpret(text).brief.gender is gender


@pytest.mark.parametrize(
    ("text", "product"),
    [
        ("a powdery iris like old lipstick", "fine_fragrance"),
        ("a rose reminiscent of a scented candle, for a body lotion", "body_lotion"),
        ("I'd like a shower gel with lavender", "shower_gel"),
        ("I\u2019d like a shower gel with lavender", "shower_gel"),
        ("we would like a candle that smells of fig", "candle"),
    ],
)
def test_a_product_the_scent_is_compared_to_is_not_the_product(text: str, product: str) -> None:
    assert interpret(text).brief.product.value == product


def test_a_strong_word_hyphened_to_a_note_weighs_the_note_not_the_concentration() -> None:
    iris = interpret("an iris-heavy powdery scent")
    assert iris.brief.concentration is C.EDP
    assert "'iris-heavy' says how much of a note, not a concentration" in iris.notes
    assert interpret("a coumarin-rich fougere, heavy and long-lasting").brief.concentration is (
        C.PARFUM
    )
    assert interpret("a feather-light citrus").brief.concentration is C.EDT


def test_a_style_leans_on_its_smaller_families_and_insists_on_its_core() -> None:
    chypre = interpret("a green chypre with moss, minus the florals")
    assert chypre.brief.excluded_families == (F.FLORAL,)
    assert F.FLORAL not in chypre.brief.family_weights
    assert "'chypre' leaned floral, which the brief excludes; dropped" in chypre.notes
    with pytest.raises(ContradictoryBriefError, match="the floral family"):
        interpret("a soliflore, no florals")


def test_an_allergy_to_something_unknown_is_reported_not_ignored() -> None:
    notes = interpret("allergic to parabens, a citrus cologne").notes
    assert any("'parabens' is not a family, note or catalog material" in n for n in notes)
