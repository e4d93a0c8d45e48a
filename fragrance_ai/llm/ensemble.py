"""Combine the rule-based brief with model briefs, field by field, on measured evidence.

The rule-based reading is the anchor: the ensemble only answers a brief the rules could
read. Every value any source proposes for a field (a note, a family, a season) is a
candidate; each calibrated model gives its log-odds that the candidate is right, chosen
by whether it and the rules both name it, only it does, or only the rules do
(`FieldEvidence`). A candidate's evidence is the mean over those models. List fields keep
the candidates with positive evidence; single-valued fields take the best-supported one.
A candidate no calibrated model has an opinion on stands or falls with the rules.
Fields the labelled briefs do not label yet (the product) keep the rules' reading.

What the ensemble reports lives here too: each model's attempt (`ModelOutcome`) and
who decided each field (`FieldDecision`), in one `EnsembleResult`.
"""

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean
from typing import Any, cast

from pydantic import BaseModel, ConfigDict, Field

from fragrance_ai.llm.config import FieldEvidence
from fragrance_ai.llm.reply import MATERIAL_FIELDS, NOTE_FIELDS
from schemas.brief import Brief, Interpretation, without_families
from schemas.material import Family

RULE_BASED = "rule_based"
CATEGORICAL_FIELDS = ("concentration", "season", "gender", "budget_per_kg", "max_materials")
FAMILIES = "family_weights"
LIST_FIELDS = (
    FAMILIES,
    "wanted_notes",
    "wanted_materials",
    "excluded_materials",
    "excluded_families",
    "excluded_notes",
)
_OPPOSITES = (NOTE_FIELDS, MATERIAL_FIELDS)


class ModelOutcome(BaseModel):
    """One model's attempt at one brief."""

    model_config = ConfigDict(frozen=True)

    model: str = Field(description="Model name from the ensemble settings")
    raw_output: str = Field(description="The model's first reply, verbatim")
    repair_output: str | None = Field(
        default=None, description="The reply to the repair prompt, when one was sent"
    )
    latency_s: float = Field(ge=0, description="Wall time of generation, repair included")
    tokens_generated: int = Field(default=0, ge=0, description="New tokens, repair included")
    valid: bool = Field(description="Whether a reply validated as a Brief")
    error: str | None = Field(default=None, description="Why the last reply was rejected")
    brief: Brief | None = Field(default=None, description="The validated brief, when valid")


class FieldDecision(BaseModel):
    """How one field of the combined brief was decided."""

    model_config = ConfigDict(frozen=True)

    confidence: float | None = Field(
        ge=0,
        le=1,
        description="Mean probability, from the calibrated evidence, that each value a "
        "source proposed was rightly kept or dropped; None when no calibrated model spoke",
    )
    decided_by: tuple[str, ...] = Field(description="Sources that named what was kept")


class EnsembleResult(BaseModel):
    """The combined brief, explained, and the record of how it came about."""

    model_config = ConfigDict(frozen=True)

    interpretation: Interpretation = Field(
        description="The combined brief, the rules' words for the fields they helped "
        "decide, and a note for each field a model decided without them"
    )
    outcomes: tuple[ModelOutcome, ...] = Field(description="Each enabled model's attempt")
    fields: dict[str, FieldDecision] = Field(description="Per Brief field: confidence, deciders")
    fallback_used: bool = Field(description="True when no model produced a valid brief")

    @property
    def brief(self) -> Brief:
        return self.interpretation.brief


@dataclass(frozen=True)
class Reading:
    """A model's valid brief and the evidence its calibration earned it, per field."""

    source: str
    brief: Brief
    evidence: Mapping[str, FieldEvidence]


def named(brief: Brief, field: str, family_floor: float) -> tuple[Hashable, ...]:
    """What a brief names in a field, in its own order: a single-valued field names its
    value (None included); a family counts once it has `family_floor` of the profile."""
    if field == FAMILIES:
        return tuple(f for f, share in brief.target_profile().items() if share >= family_floor)
    value = getattr(brief, field)
    return tuple(dict.fromkeys(value)) if field in LIST_FIELDS else (value,)


def agreement(by_rules: bool, by_model: bool) -> str:
    """Which of a model's FieldEvidence applies to a candidate named as given."""
    if by_model:
        return "confirms" if by_rules else "adds"
    return "omits"


def evidence_for(
    item: Hashable, rule_items: Sequence[Hashable], opinions: Sequence[tuple[FieldEvidence, Any]]
) -> float | None:
    """Mean log-odds that `item` is right over the models with an opinion (those that
    name it, and, for an item the rules name, those that leave it out); None if none."""
    by_rules = item in rule_items
    logits = [
        getattr(evidence, agreement(by_rules, item in model_items))
        for evidence, model_items in opinions
        if by_rules or item in model_items
    ]
    return fmean(logits) if logits else None


def combine(
    rule_brief: Brief, readings: Sequence[Reading], family_floor: float
) -> tuple[Brief, dict[str, FieldDecision]]:
    """The combined brief and, per field, its confidence and deciding sources."""
    # A field the ensemble does not combine keeps the rules' value.
    values: dict[str, Any] = dict(rule_brief)
    decisions = {f: FieldDecision(confidence=None, decided_by=(RULE_BASED,)) for f in values}
    scores: dict[str, dict[Hashable, float]] = {}
    for field in (*CATEGORICAL_FIELDS, *LIST_FIELDS):
        proposals = {RULE_BASED: named(rule_brief, field, family_floor)}
        opinions = []
        for reading in readings:
            if field in reading.evidence:
                proposals[reading.source] = named(reading.brief, field, family_floor)
                opinions.append((reading.evidence[field], proposals[reading.source]))
        candidates = list(dict.fromkeys(i for items in proposals.values() for i in items))
        score = {c: evidence_for(c, proposals[RULE_BASED], opinions) for c in candidates}
        if field in CATEGORICAL_FIELDS:
            chosen = _best(score, proposals[RULE_BASED][0])
            kept: tuple[Hashable, ...] = (chosen,)
            values[field] = chosen
        else:
            kept = tuple(c for c in candidates if _keeps(score[c], c in proposals[RULE_BASED]))
            values[field] = kept
        scores[field] = {c: s for c, s in score.items() if s is not None}
        decisions[field] = _decision(score, kept, proposals)
    values[FAMILIES] = _profile(values[FAMILIES], rule_brief, readings, family_floor)
    _settle_contradictions(values, scores, rule_brief)
    return Brief.model_validate(values), decisions


def _best(score: Mapping[Hashable, float | None], rule_value: Hashable) -> Hashable:
    supported = {c: s for c, s in score.items() if s is not None}
    if not supported:
        return rule_value
    return max(supported, key=lambda c: supported[c])  # candidates start with the rules' value


def _keeps(score: float | None, by_rules: bool) -> bool:
    # Evidence of exactly zero (a case never seen in calibration) leaves it to the rules.
    return by_rules if score is None or score == 0 else score > 0


def _decision(
    score: Mapping[Hashable, float | None],
    kept: tuple[Hashable, ...],
    proposals: Mapping[str, tuple[Hashable, ...]],
) -> FieldDecision:
    """Who named what was kept (or, when nothing was, who proposed nothing), and the mean
    probability that each candidate was rightly kept or dropped."""
    deciders = tuple(
        source
        for source, items in proposals.items()
        if (set(items) & set(kept)) or (not kept and not items)
    )
    right = [
        _probability(s) if c in kept else 1.0 - _probability(s)
        for c, s in score.items()
        if s is not None
    ]
    return FieldDecision(confidence=fmean(right) if right else None, decided_by=deciders)


def _probability(logit: float) -> float:
    return 1.0 / (1.0 + math.exp(-logit))


def _profile(
    kept: tuple[Hashable, ...], rule_brief: Brief, readings: Sequence[Reading], floor: float
) -> dict[Family, float]:
    """Each kept family's mean share over the sources that name it, normalised; the rules'
    leading family when nothing was kept."""
    profiles = [rule_brief.target_profile()] + [
        r.brief.target_profile() for r in readings if FAMILIES in r.evidence
    ]
    shares: dict[Family, float] = {}
    for family in cast(tuple[Family, ...], kept):
        named_by = [p[family] for p in profiles if p.get(family, 0.0) >= floor]
        shares[family] = fmean(named_by)
    if not shares:
        rules = profiles[0]
        return {max(rules, key=rules.__getitem__): 1.0}
    total = sum(shares.values())
    return {family: round(share / total, 4) for family, share in shares.items()}


def _settle_contradictions(
    values: dict[str, Any], scores: Mapping[str, Mapping[Hashable, float]], rule_brief: Brief
) -> None:
    """An item both wanted and excluded keeps the side the rules read (they read negation
    word by word: "nothing sweet" is never a wish for sweetness), else the side with more
    evidence, exclusion on a tie; an excluded family leaves the profile unless that would
    empty it, in which case the exclusion goes."""
    for wanted_field, excluded_field in _OPPOSITES:
        wanted, excluded = values[wanted_field], values[excluded_field]
        for item in set(wanted) & set(excluded):
            rules_want = item in getattr(rule_brief, wanted_field)
            rules_exclude = item in getattr(rule_brief, excluded_field)
            wanted_score = scores[wanted_field].get(item, 0.0)
            if rules_want or (
                not rules_exclude and wanted_score > scores[excluded_field].get(item, 0.0)
            ):
                excluded = tuple(x for x in excluded if x != item)
            else:
                wanted = tuple(x for x in wanted if x != item)
        values[wanted_field], values[excluded_field] = wanted, excluded
    remaining = without_families(values[FAMILIES], values["excluded_families"])
    if remaining:
        values[FAMILIES] = remaining
    else:
        values["excluded_families"] = ()
