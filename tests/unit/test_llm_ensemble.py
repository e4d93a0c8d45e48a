"""Combining fixed briefs: weighted votes, weighted family means, agreement thresholds."""

import pytest

from fragrance_ai.llm import (
    EnsembleConfig,
    ModelOutcome,
    ModelSpec,
    NoInterpretationError,
    Vote,
    combine_outcomes,
    combine_votes,
)
from schemas.brief import Brief, Concentration, Gender, Season
from schemas.material import Family


def _brief(**fields: object) -> Brief:
    return Brief.model_validate({"family_weights": {"citrus": 1.0}, **fields})


def _config(**fields: object) -> EnsembleConfig:
    models = tuple(
        ModelSpec(name=name, source_type="path", source="/nowhere", weight=weight)
        for name, weight in (("qwen", 1.0), ("mistral", 1.0), ("llama", 2.0))
    )
    return EnsembleConfig.model_validate({"models": models, **fields})


def _valid(model: str, brief: Brief) -> ModelOutcome:
    return ModelOutcome(
        model=model, raw_output=brief.model_dump_json(), latency_s=0.1, valid=True, brief=brief
    )


def _invalid(model: str, raw: str = "not json") -> ModelOutcome:
    return ModelOutcome(model=model, raw_output=raw, latency_s=0.1, valid=False, error="no JSON")


def test_categorical_fields_follow_the_heavier_side_not_the_head_count() -> None:
    votes = [
        Vote(source="qwen", weight=1.0, brief=_brief(season="summer", gender="masculine")),
        Vote(source="mistral", weight=1.0, brief=_brief(season="summer", gender="unisex")),
        Vote(source="llama", weight=3.0, brief=_brief(season="spring", gender="unisex")),
    ]
    brief, decisions = combine_votes(votes, agreement_threshold=0.5, family_floor=0.05)
    assert brief.season is Season.SPRING
    assert decisions["season"].decided_by == ("llama",)
    assert decisions["season"].confidence == pytest.approx(0.6)
    assert brief.gender is Gender.UNISEX
    assert decisions["gender"].decided_by == ("mistral", "llama")
    assert decisions["gender"].confidence == pytest.approx(0.8)


def test_a_tie_goes_to_the_value_proposed_first() -> None:
    votes = [
        Vote(source="qwen", weight=1.0, brief=_brief(concentration="edt")),
        Vote(source="mistral", weight=1.0, brief=_brief(concentration="parfum")),
    ]
    brief, decisions = combine_votes(votes, 0.5, 0.05)
    assert brief.concentration is Concentration.EDT
    assert decisions["concentration"].confidence == pytest.approx(0.5)


def test_family_weights_are_the_weighted_mean_of_normalised_profiles() -> None:
    votes = [
        Vote(source="qwen", weight=1.0, brief=_brief(family_weights={"citrus": 3, "woody": 1})),
        Vote(source="llama", weight=3.0, brief=_brief(family_weights={"woody": 1})),
    ]
    brief, decisions = combine_votes(votes, 0.5, 0.05)
    # qwen: citrus .75 woody .25 at weight 1/4; llama: woody 1 at weight 3/4
    assert brief.family_weights == {
        Family.CITRUS: pytest.approx(0.1875),
        Family.WOODY: pytest.approx(0.8125),
    }
    assert decisions["family_weights"].decided_by == ("qwen", "llama")
    assert 0 < decisions["family_weights"].confidence < 1


def test_families_below_the_floor_are_dropped_and_the_rest_renormalised() -> None:
    votes = [
        Vote(source="qwen", weight=1.0, brief=_brief(family_weights={"citrus": 0.9, "musk": 0.1})),
        Vote(source="llama", weight=1.0, brief=_brief(family_weights={"citrus": 1.0})),
    ]
    brief, _ = combine_votes(votes, 0.5, family_floor=0.1)
    assert brief.family_weights == {Family.CITRUS: 1.0}


def test_list_items_need_the_agreement_threshold() -> None:
    votes = [
        Vote(source="qwen", weight=1.0, brief=_brief(wanted_notes=["bergamot", "fresh"])),
        Vote(source="mistral", weight=1.0, brief=_brief(wanted_notes=["bergamot"])),
        Vote(source="llama", weight=2.0, brief=_brief(wanted_notes=["bergamot", "lemon"])),
    ]
    brief, decisions = combine_votes(votes, agreement_threshold=0.5, family_floor=0.05)
    assert brief.wanted_notes == ("bergamot", "lemon")  # lemon: 2/4 meets 0.5; fresh: 1/4 does not
    assert decisions["wanted_notes"].decided_by == ("llama",)
    strict, _ = combine_votes(votes, agreement_threshold=0.75, family_floor=0.05)
    assert strict.wanted_notes == ("bergamot",)


def test_a_wanted_and_excluded_clash_keeps_the_better_supported_side() -> None:
    votes = [
        Vote(source="qwen", weight=1.0, brief=_brief(wanted_notes=["sweet"])),
        Vote(source="llama", weight=2.0, brief=_brief(excluded_notes=["sweet"])),
    ]
    brief, _ = combine_votes(votes, agreement_threshold=0.3, family_floor=0.05)
    assert brief.excluded_notes == ("sweet",)
    assert brief.wanted_notes == ()


def test_an_agreed_family_exclusion_removes_that_family_from_the_profile() -> None:
    votes = [
        Vote(source="qwen", weight=1.0, brief=_brief(family_weights={"citrus": 1, "musk": 1})),
        Vote(source="llama", weight=2.0, brief=_brief(excluded_families=["musk"])),
    ]
    brief, _ = combine_votes(votes, 0.5, 0.05)
    assert brief.excluded_families == (Family.MUSK,)
    assert set(brief.family_weights) == {Family.CITRUS}


def test_rule_based_result_votes_with_its_configured_weight() -> None:
    config = _config(rule_based_weight=3.0)
    outcomes = (_valid("qwen", _brief(season="summer")), _invalid("mistral"))
    result = combine_outcomes(config, outcomes, _brief(season="winter"), None)
    assert result.brief.season is Season.WINTER
    assert result.fields["season"].decided_by == ("rule_based",)
    assert result.fallback_used is False


def test_no_valid_model_output_falls_back_to_the_whole_rule_based_brief() -> None:
    config = _config()
    rule_brief = _brief(family_weights={"woody": 2, "amber": 1}, season="autumn", budget_per_kg=30)
    outcomes = (_invalid("qwen", '{"family_weights": {}}'), _invalid("mistral"), _invalid("llama"))
    result = combine_outcomes(config, outcomes, rule_brief, None)
    assert result.brief == rule_brief
    assert result.fallback_used is True
    assert {d.decided_by for d in result.fields.values()} == {("rule_based",)}
    assert [o.raw_output for o in result.outcomes] == [
        '{"family_weights": {}}',
        "not json",
        "not json",
    ]


def test_nothing_valid_anywhere_is_an_error_naming_every_reason() -> None:
    with pytest.raises(NoInterpretationError, match=r"qwen: no JSON.*rule_based: names no family"):
        combine_outcomes(_config(), (_invalid("qwen"),), None, "names no family")


def test_a_rule_based_weight_of_zero_still_serves_as_fallback_but_does_not_vote() -> None:
    config = _config(rule_based_weight=0.0)
    voted = combine_outcomes(
        config, (_valid("qwen", _brief(season="summer")),), _brief(season="winter"), None
    )
    assert voted.brief.season is Season.SUMMER
    fallback = combine_outcomes(config, (_invalid("qwen"),), _brief(season="winter"), None)
    assert fallback.brief.season is Season.WINTER
