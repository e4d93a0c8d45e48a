"""Combining fixed briefs on calibrated evidence, and calibrating on fixed labelled readings."""

import math

import pytest

from fragrance_ai.llm import (
    EnsembleConfig,
    FieldEvidence,
    ModelOutcome,
    ModelSpec,
    combine,
    combine_outcomes,
)
from fragrance_ai.llm.calibration import LabelledReading, calibrate, fit
from fragrance_ai.llm.ensemble import Reading
from schemas.brief import Brief, Concentration, Interpretation, Season
from schemas.material import Family

TRUSTED = FieldEvidence(confirms=3.0, adds=1.0, omits=-1.0)
DOUBTED = FieldEvidence(confirms=3.0, adds=-2.0, omits=2.0)


def _brief(**fields: object) -> Brief:
    return Brief.model_validate({"family_weights": {"citrus": 1.0}, **fields})


def _reading(source: str, brief: Brief, **evidence: FieldEvidence) -> Reading:
    return Reading(source=source, brief=brief, evidence=evidence)


def test_a_model_changes_a_single_value_only_where_its_measured_evidence_says_so() -> None:
    rules = _brief(season="winter", concentration="edt")
    model = _brief(season="summer", concentration="parfum")
    brief, decisions = combine(
        rules, [_reading("qwen", model, season=TRUSTED, concentration=DOUBTED)], 0.05
    )
    assert brief.season is Season.SUMMER
    assert decisions["season"].decided_by == ("qwen",)
    assert brief.concentration is Concentration.EDT
    assert decisions["concentration"].decided_by == ("rule_based",)
    # qwen's summer at log-odds 1 kept, winter at -1 dropped: both right with p = 0.73
    assert decisions["season"].confidence == pytest.approx(1 / (1 + math.exp(-1)))


def test_a_field_without_evidence_is_the_rules_reading() -> None:
    rules = _brief(season="winter", wanted_notes=["bergamot"])
    model = _brief(season="summer", wanted_notes=["lemon"])
    brief, decisions = combine(rules, [_reading("qwen", model)], 0.05)
    assert brief.season is Season.WINTER and brief.wanted_notes == ("bergamot",)
    assert decisions["wanted_notes"].confidence is None


def test_list_items_are_kept_on_positive_evidence_and_left_to_the_rules_on_none() -> None:
    rules = _brief(wanted_notes=["bergamot", "fresh"])
    model = _brief(wanted_notes=["bergamot", "lemon"])
    adds_and_keeps = FieldEvidence(confirms=2.0, adds=1.5, omits=0.5)
    brief, _ = combine(rules, [_reading("qwen", model, wanted_notes=adds_and_keeps)], 0.05)
    assert brief.wanted_notes == ("bergamot", "fresh", "lemon")
    brief, _ = combine(rules, [_reading("qwen", model, wanted_notes=TRUSTED)], 0.05)
    assert brief.wanted_notes == ("bergamot", "lemon")  # the model's silence on "fresh" counts
    never_seen = FieldEvidence(confirms=0.0, adds=0.0, omits=0.0)
    brief, _ = combine(rules, [_reading("qwen", model, wanted_notes=never_seen)], 0.05)
    assert brief.wanted_notes == ("bergamot", "fresh")


def test_the_evidence_of_several_models_is_averaged() -> None:
    rules = _brief(wanted_notes=["bergamot"])
    readings = [
        _reading(
            "qwen",
            _brief(wanted_notes=["lemon"]),
            wanted_notes=FieldEvidence(confirms=2.0, adds=1.0, omits=1.0),
        ),
        _reading(
            "llama",
            _brief(wanted_notes=["lemon"]),
            wanted_notes=FieldEvidence(confirms=2.0, adds=-3.0, omits=1.0),
        ),
    ]
    brief, decisions = combine(rules, readings, 0.05)
    assert brief.wanted_notes == ("bergamot",)  # lemon: (1 - 3) / 2 < 0
    assert decisions["wanted_notes"].decided_by == ("rule_based",)


def test_a_family_below_the_floor_is_not_named_and_kept_shares_are_means() -> None:
    rules = _brief(family_weights={"citrus": 0.85, "green": 0.075, "aquatic": 0.075})
    model = _brief(family_weights={"citrus": 0.5, "woody": 0.5})
    brief, decisions = combine(
        rules, [_reading("qwen", model, family_weights=DOUBTED)], family_floor=0.1
    )
    assert brief.family_weights == {Family.CITRUS: 1.0}
    assert decisions["family_weights"].decided_by == ("rule_based", "qwen")
    trusted, _ = combine(rules, [_reading("qwen", model, family_weights=TRUSTED)], 0.1)
    # citrus: mean of 0.85 and 0.5; woody: 0.5 from qwen alone
    assert trusted.family_weights == {
        Family.CITRUS: pytest.approx(0.675 / 1.175, abs=1e-4),
        Family.WOODY: pytest.approx(0.5 / 1.175, abs=1e-4),
    }


def test_a_wish_the_rules_read_as_an_exclusion_stays_excluded() -> None:
    rules = _brief(excluded_notes=["sweet"])
    model = _brief(wanted_notes=["sweet"])
    brief, _ = combine(
        rules,
        [_reading("qwen", model, wanted_notes=FieldEvidence(confirms=3, adds=3, omits=0))],
        0.05,
    )
    assert brief.excluded_notes == ("sweet",) and brief.wanted_notes == ()


def test_an_excluded_family_leaves_the_profile() -> None:
    rules = _brief(family_weights={"citrus": 1, "musk": 1})
    model = _brief(family_weights={"citrus": 1}, excluded_families=["musk"])
    evidence = {"excluded_families": TRUSTED, "family_weights": DOUBTED}
    brief, _ = combine(rules, [_reading("qwen", model, **evidence)], 0.05)
    assert brief.excluded_families == (Family.MUSK,)
    assert set(brief.family_weights) == {Family.CITRUS}


def _outcome(model: str, brief: Brief | None) -> ModelOutcome:
    raw = brief.model_dump_json() if brief else "not json"
    return ModelOutcome(model=model, raw_output=raw, latency_s=0.1, valid=bool(brief), brief=brief)


def test_with_no_valid_model_brief_the_rules_brief_is_the_answer() -> None:
    config = EnsembleConfig(
        models=(
            ModelSpec(name="qwen", source_type="path", source="/m", evidence={"season": TRUSTED}),
        )
    )
    rules = _brief(family_weights={"woody": 0.75, "amber": 0.25}, season="autumn", budget_per_kg=30)
    result = combine_outcomes(config, (_outcome("qwen", None),), Interpretation(brief=rules))
    assert result.brief == rules
    assert result.fallback_used
    assert {d.decided_by for d in result.fields.values()} == {("rule_based",)}


def _labelled(expected: Brief, rules: Brief, model: Brief | None) -> LabelledReading:
    return LabelledReading(expected=expected, rule_brief=rules, model_briefs={"qwen": model})


def test_calibration_starts_each_case_from_the_rules_answer() -> None:
    cases = [
        _labelled(  # the model adds a right note, and agrees with the rules on another
            _brief(wanted_notes=["bergamot", "warm"]),
            _brief(wanted_notes=["bergamot"]),
            _brief(wanted_notes=["bergamot", "warm"]),
        ),
        _labelled(  # the model adds a wrong note and misses a right one
            _brief(wanted_notes=["rose"]),
            _brief(wanted_notes=["rose"]),
            _brief(wanted_notes=["musk"]),
        ),
        _labelled(_brief(wanted_notes=["rose"]), _brief(wanted_notes=["rose"]), None),
    ]
    notes = calibrate(cases, "qwen", 0.05)["wanted_notes"]
    # Imagined: two right and one wrong where the rules name the note, one right and two
    # wrong where they do not.
    assert notes.confirms == pytest.approx(math.log(3 / 1), abs=1e-3)  # 1 right of 1
    assert notes.adds == pytest.approx(math.log(2 / 3), abs=1e-3)  # 1 right of 2
    assert notes.omits == pytest.approx(math.log(3 / 1), abs=1e-3)  # 1 right of 1
    # With nothing seen, a case keeps what the rules decided.
    unseen = calibrate(cases[2:], "qwen", 0.05)["wanted_notes"]
    assert unseen.confirms > 0 and unseen.omits > 0 and unseen.adds < 0


def test_fitting_chooses_the_family_floor_that_drops_weak_rule_families() -> None:
    rules = _brief(family_weights={"citrus": 0.8, "green": 0.12, "aquatic": 0.08})
    no_model = _labelled(_brief(family_weights={"citrus": 1}), rules, None)
    assert fit([no_model] * 3, floors=(0.05, 0.15)).family_floor == 0.15
    weak_is_right = _labelled(_brief(family_weights={"citrus": 8, "green": 1}), rules, None)
    assert fit([weak_is_right] * 3, floors=(0.05, 0.1, 0.15)).family_floor == 0.1
