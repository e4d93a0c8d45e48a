"""Combine valid briefs from several sources, field by field, into one brief.

Pure functions over fixed inputs: categorical fields by weighted vote, family weights
by weighted mean of normalised profiles, list fields by an agreement threshold.
"""

from collections.abc import Hashable, Sequence
from typing import Any

from fragrance_ai.llm.errors import NoInterpretationError
from fragrance_ai.llm.reply_schema import MATERIAL_FIELDS, NOTE_FIELDS
from fragrance_ai.llm.results import FieldDecision, Vote
from schemas.brief import Brief
from schemas.material import Family

CATEGORICAL_FIELDS = ("concentration", "season", "gender", "budget_per_kg", "max_materials")
LIST_FIELDS = (
    "wanted_notes",
    "wanted_materials",
    "excluded_materials",
    "excluded_families",
    "excluded_notes",
)
_OPPOSITES = (NOTE_FIELDS, MATERIAL_FIELDS)


def combine_votes(
    votes: Sequence[Vote], agreement_threshold: float, family_floor: float
) -> tuple[Brief, dict[str, FieldDecision]]:
    """The combined brief and, per field, its confidence and deciding sources."""
    if not votes:
        raise NoInterpretationError("no source produced a valid brief to combine")
    total = sum(v.weight for v in votes)
    values: dict[str, Any] = {}
    decisions: dict[str, FieldDecision] = {}
    shares: dict[str, dict[Hashable, float]] = {}
    for field in CATEGORICAL_FIELDS:
        values[field], decisions[field] = weighted_vote(votes, field, total)
    for field in LIST_FIELDS:
        values[field], shares[field], decisions[field] = agreed_items(
            votes, field, total, agreement_threshold
        )
    values["family_weights"], decisions["family_weights"] = mean_families(
        votes, total, family_floor
    )
    _settle_contradictions(values, shares)
    return Brief.model_validate(values), decisions


def weighted_vote(votes: Sequence[Vote], field: str, total: float) -> tuple[Any, FieldDecision]:
    """The value with most weight behind it; ties go to the value proposed first."""
    tally: dict[Hashable, float] = {}
    for vote in votes:
        value = getattr(vote.brief, field)
        tally[value] = tally.get(value, 0.0) + vote.weight
    winner = max(tally, key=lambda value: tally[value])  # max keeps the first of equals
    deciders = tuple(v.source for v in votes if getattr(v.brief, field) == winner)
    return winner, FieldDecision(confidence=tally[winner] / total, decided_by=deciders)


def agreed_items(
    votes: Sequence[Vote], field: str, total: float, threshold: float
) -> tuple[tuple[Any, ...], dict[Hashable, float], FieldDecision]:
    """Items named by at least `threshold` of the vote weight, in first-proposed order."""
    shares: dict[Hashable, float] = {}
    for vote in votes:
        for item in dict.fromkeys(getattr(vote.brief, field)):
            shares[item] = shares.get(item, 0.0) + vote.weight / total
    kept = tuple(item for item, share in shares.items() if share >= threshold - 1e-9)
    agreement = [s if item in kept else 1.0 - s for item, s in shares.items()]
    confidence = sum(agreement) / len(agreement) if agreement else 1.0
    deciders = tuple(v.source for v in votes if set(getattr(v.brief, field)) == set(kept))
    return kept, shares, FieldDecision(confidence=_unit(confidence), decided_by=deciders)


def mean_families(
    votes: Sequence[Vote], total: float, floor: float
) -> tuple[dict[Family, float], FieldDecision]:
    """Weighted mean of each source's normalised profile, small shares dropped."""
    profiles = [(v, v.brief.target_profile()) for v in votes]
    mean: dict[Family, float] = {}
    for vote, profile in profiles:
        for family, share in profile.items():
            mean[family] = mean.get(family, 0.0) + share * vote.weight / total
    kept = {f: w for f, w in mean.items() if w >= floor} or {max(mean, key=mean.__getitem__): 1.0}
    scale = sum(kept.values())
    combined = {f: round(w / scale, 4) for f, w in kept.items()}
    distance = sum(v.weight * _total_variation(p, combined) for v, p in profiles) / total
    deciders = tuple(v.source for v in votes)
    return combined, FieldDecision(confidence=_unit(1.0 - distance), decided_by=deciders)


def _total_variation(a: dict[Family, float], b: dict[Family, float]) -> float:
    return 0.5 * sum(abs(a.get(f, 0.0) - b.get(f, 0.0)) for f in set(a) | set(b))


def _settle_contradictions(
    values: dict[str, Any], shares: dict[str, dict[Hashable, float]]
) -> None:
    """Make the combined fields consistent: an item both wanted and excluded keeps the side
    with more weight (exclusion on a tie); an excluded family leaves the profile unless
    that would empty it, in which case the exclusion goes."""
    for wanted_field, excluded_field in _OPPOSITES:
        wanted, excluded = values[wanted_field], values[excluded_field]
        for item in set(wanted) & set(excluded):
            if shares[wanted_field][item] > shares[excluded_field][item]:
                excluded = tuple(x for x in excluded if x != item)
            else:
                wanted = tuple(x for x in wanted if x != item)
        values[wanted_field], values[excluded_field] = wanted, excluded
    families = values["family_weights"]
    remaining = {f: w for f, w in families.items() if f not in values["excluded_families"]}
    if remaining:
        values["family_weights"] = remaining
    else:
        values["excluded_families"] = ()


def _unit(x: float) -> float:
    return min(1.0, max(0.0, x))
