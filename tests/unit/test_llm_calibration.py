"""The development ensemble's stored evidence, checked against SmolLM2's stored replies to
the labelled briefs: it is what calibration gives, and the ensemble it makes reads the
labelled briefs at least as well as the rules on every field."""

import json

import pytest

from bench.llm_eval import DATA, Scorecard
from fragrance_ai.config_loader import load_llm_config, load_settings
from fragrance_ai.interpreter import interpret
from fragrance_ai.llm import EnsembleConfig, ModelOutcome, combine_outcomes, parse_ensemble_config
from fragrance_ai.llm.calibration import LabelledReading, fit
from schemas.brief import Brief, Interpretation

REPLIES = DATA.with_name("llm_eval_replies_smollm2.json")


@pytest.fixture(scope="module")
def development() -> EnsembleConfig:
    return parse_ensemble_config(load_llm_config(load_settings("development")))


@pytest.fixture(scope="module")
def labelled() -> list[tuple[Brief, Brief, tuple[ModelOutcome, ...]]]:
    cases = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    replies = json.loads(REPLIES.read_text())["replies"]
    return [
        (
            Brief.model_validate(case["expected"]),
            interpret(case["text"]).brief,
            tuple(ModelOutcome.model_validate(o) for o in outcomes),
        )
        for case, outcomes in zip(cases, replies, strict=True)
    ]


def test_the_stored_evidence_is_what_calibration_of_the_stored_replies_gives(
    development: EnsembleConfig, labelled: list[tuple[Brief, Brief, tuple[ModelOutcome, ...]]]
) -> None:
    calibration = fit(
        [
            LabelledReading(want, rules, {o.model: o.brief for o in outs})
            for want, rules, outs in labelled
        ]
    )
    smollm2 = next(m for m in development.models if m.name == "smollm2")
    assert smollm2.evidence == calibration.evidence["smollm2"]
    assert development.family_floor == calibration.family_floor
    assert smollm2.calibrated_by is not None and REPLIES.name in smollm2.calibrated_by


def test_the_ensemble_reads_every_field_at_least_as_well_as_the_rules(
    development: EnsembleConfig, labelled: list[tuple[Brief, Brief, tuple[ModelOutcome, ...]]]
) -> None:
    rules, ensemble = Scorecard(), Scorecard()
    for want, rule_brief, outcomes in labelled:
        rules.add(rule_brief, want)
        ensemble.add(
            combine_outcomes(development, outcomes, Interpretation(brief=rule_brief)).brief, want
        )
    by_rules, combined = rules.row(), ensemble.row()
    assert all(combined[field] >= by_rules[field] for field in by_rules), (by_rules, combined)
    assert combined["families_f1"] > by_rules["families_f1"]
    assert combined["wanted_notes_f1"] > by_rules["wanted_notes_f1"]
