"""Measure each model's evidence, field by field, on labelled briefs.

For every field, every candidate a model or the rules name on a labelled brief falls in
one of three cases (both name it, only the model, only the rules); the evidence of each
case is the log-odds that such a candidate is right. Three imagined answers start each
case on the rules' side (two right and one wrong where the rules name the candidate, one
right and two wrong where they do not), so a case seen only a few times leaves the
candidate where the rules put it rather than near a coin toss. The family
floor is chosen on the same briefs, for the best families F1 of the combined brief.
"""

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

from fragrance_ai.llm.config import FieldEvidence
from fragrance_ai.llm.ensemble import (
    CATEGORICAL_FIELDS,
    FAMILIES,
    LIST_FIELDS,
    Reading,
    agreement,
    combine,
    named,
)
from schemas.brief import Brief

FAMILY_FLOORS = (0.05, 0.1, 0.15, 0.2)

Evidence = dict[str, FieldEvidence]


@dataclass(frozen=True)
class LabelledReading:
    """One labelled brief: the expected Brief, the rules' reading and each model's."""

    expected: Brief
    rule_brief: Brief
    model_briefs: Mapping[str, Brief | None]


@dataclass(frozen=True)
class Calibration:
    family_floor: float
    evidence: Mapping[str, Evidence]
    """Per model, per field."""


def expected_items(brief: Brief, field: str) -> set[Hashable]:
    """The right answers of a field: every family the label weighs above zero."""
    if field == FAMILIES:
        return {family for family, weight in brief.family_weights.items() if weight > 0}
    return set(named(brief, field, 0.0))


def calibrate(cases: Sequence[LabelledReading], model: str, family_floor: float) -> Evidence:
    """The model's evidence on every field, from the briefs it gave a valid reading of."""
    evidence: Evidence = {}
    for field in (*CATEGORICAL_FIELDS, *LIST_FIELDS):
        counts = {"confirms": [0, 0], "adds": [0, 0], "omits": [0, 0]}  # right, seen
        for case in cases:
            model_brief = case.model_briefs.get(model)
            if model_brief is None:
                continue
            by_rules = set(named(case.rule_brief, field, family_floor))
            by_model = set(named(model_brief, field, family_floor))
            right = expected_items(case.expected, field)
            for item in by_rules | by_model:
                seen = counts[agreement(item in by_rules, item in by_model)]
                seen[0] += item in right
                seen[1] += 1
        evidence[field] = FieldEvidence(
            **{case: _log_odds(r, n, case != "adds") for case, (r, n) in counts.items()}
        )
    return evidence


def _log_odds(right: int, seen: int, named_by_rules: bool) -> float:
    prior_right, prior_wrong = (2, 1) if named_by_rules else (1, 2)
    return round(math.log((right + prior_right) / (seen - right + prior_wrong)), 3)


def combine_case(case: LabelledReading, calibration: Calibration) -> Brief:
    readings = [
        Reading(source=model, brief=brief, evidence=calibration.evidence.get(model, {}))
        for model, brief in case.model_briefs.items()
        if brief is not None
    ]
    return combine(case.rule_brief, readings, calibration.family_floor)[0]


def fit(cases: Sequence[LabelledReading], floors: Sequence[float] = FAMILY_FLOORS) -> Calibration:
    """Evidence for every model at the family floor that gives the best families F1 on
    `cases` (the lowest floor on a tie)."""
    models = sorted({model for case in cases for model in case.model_briefs})
    best: tuple[float, Calibration] | None = None
    for floor in floors:
        calibration = Calibration(floor, {m: calibrate(cases, m, floor) for m in models})
        score = families_f1([(combine_case(c, calibration), c.expected) for c in cases])
        if best is None or score > best[0]:
            best = (score, calibration)
    if best is None:
        raise ValueError("no family floor to choose from")
    return best[1]


def families_f1(pairs: Sequence[tuple[Brief | None, Brief]]) -> float:
    """Micro F1 of the families named (weight above zero) against the expected ones."""
    true_positives = predicted = expected = 0
    for got, want in pairs:
        got_items = expected_items(got, FAMILIES) if got is not None else set()
        want_items = expected_items(want, FAMILIES)
        true_positives += len(got_items & want_items)
        predicted += len(got_items)
        expected += len(want_items)
    return 2 * true_positives / (predicted + expected) if predicted + expected else 1.0
