"""Settling a draft: contradictions, mood words against exclusions, weak priors,
and one value for each single-valued field."""

from collections import Counter
from typing import TypeVar

from fragrance_ai.catalog import Catalog
from fragrance_ai.interpreter import lexicon as lx
from fragrance_ai.interpreter.draft import Draft
from fragrance_ai.interpreter.errors import ContradictoryBriefError, VagueBriefError
from schemas.brief import (
    Concentration,
    Gender,
    Season,
    Style,
    wanted_and_excluded,
    without_families,
)
from schemas.material import Family

PRIOR_WEIGHT = 0.3
PRIORS_BELOW_FAMILIES = 2  # priors only shade briefs that name fewer families than this


def _clash(wanted: str, excluded: str, what: str) -> ContradictoryBriefError:
    return ContradictoryBriefError(
        f"the brief both wants and excludes {what}: '{wanted}' asks for it, "
        f"'{excluded}' rules it out; remove one of the two"
    )


def check_contradictions(draft: Draft, catalog: Catalog) -> None:
    for family in wanted_and_excluded(draft.hard, draft.excluded_families):
        words = draft.excluded_families[family]
        raise _clash(draft.wanted_by[family][0], words, f"the {family} family")
    for note, words in draft.excluded_notes.items():
        if note in draft.wanted_notes:
            raise _clash(draft.wanted_notes[note], words, f"the note '{note}'")
    for material_id, wanted in draft.wanted_materials.items():
        material = catalog.get(material_id)
        if material_id in draft.excluded_materials:
            raise _clash(wanted, draft.excluded_materials[material_id], material.name)
        for note in material.descriptors:
            if note in draft.excluded_notes:
                what = f"{material.name}, which smells {note}"
                raise _clash(wanted, draft.excluded_notes[note], what)


def drop_excluded_moods(draft: Draft) -> None:
    for family in wanted_and_excluded(draft.soft, draft.excluded_families):
        del draft.soft[family]
        words = ", ".join(f"'{w}'" for w in draft.wanted_by[family])
        draft.notes.append(f"{words} leaned {family}, which the brief excludes; dropped")


def _priors(season: Season | None, gender: Gender | None) -> list[tuple[str, lx.Mix]]:
    priors = []
    if season is not None:
        priors.append((season.value, lx.SEASON_PRIORS[season]))
    if gender is not None:
        priors.append((gender.value, lx.GENDER_PRIORS[gender]))
    return priors


def family_weights(
    draft: Draft, season: Season | None, gender: Gender | None
) -> dict[Family, float]:
    """Hard and soft pulls summed, shaded by season and gender priors when the text
    names few families, normalised to sum to 1."""
    weights = {f: draft.hard.get(f, 0.0) + draft.soft.get(f, 0.0) for f in Family}
    named = [f for f, w in weights.items() if w > 0]
    if not named:
        excludes = draft.excluded_families or draft.excluded_notes or draft.excluded_materials
        raise VagueBriefError("says only what to avoid" if excludes else "names no family or note")
    if len(named) < PRIORS_BELOW_FAMILIES:
        for label, mix in _priors(season, gender):
            prior = without_families(mix, draft.excluded_families)
            for family, share in prior.items():
                weights[family] += PRIOR_WEIGHT * share
            if prior:
                listed = ", ".join(prior)
                draft.notes.append(f"few families named: added a weak {label} prior ({listed})")
    total = sum(weights.values())
    return {f: round(w / total, 4) for f, w in weights.items() if w > 0}


Choice = TypeVar("Choice", Season, Gender, Concentration, Style)


def _first(draft: Draft, readings: list[tuple[Choice, str]], field_name: str) -> Choice | None:
    if not readings:
        return None
    chosen, words = readings[0]
    draft.cite(field_name, words)
    if any(value != chosen for value, _ in readings):
        draft.notes.append(
            f"several values of {field_name} named; using the first, {chosen} ('{words}')"
        )
    return chosen


def choose_style(draft: Draft) -> Style | None:
    """The first style word named, else the first family named that is an accord
    ("amber", "leather"), unless the brief also excludes that family."""
    if draft.styles:
        return _first(draft, draft.styles, "style")
    excluded = {lx.FAMILY_STYLE.get(f) for f in draft.excluded_families}
    return _first(draft, [(s, w) for s, w in draft.family_styles if s not in excluded], "style")


def choose_season(draft: Draft) -> Season | None:
    return _first(draft, draft.seasons, "season")


def choose_gender(draft: Draft) -> Gender | None:
    named = {gender for gender, _ in draft.genders}
    if {Gender.MASCULINE, Gender.FEMININE} <= named:
        for _, words in draft.genders:
            draft.cite("gender", words)
        draft.notes.append("both masculine and feminine words: read as unisex")
        return Gender.UNISEX
    return _first(draft, draft.genders, "gender")


def choose_concentration(draft: Draft) -> Concentration:
    named = _first(draft, draft.concentrations, "concentration")
    if named is not None:
        return named
    colognes = [words for style, words in draft.styles if style is Style.COLOGNE]
    if not draft.intensities and colognes:
        draft.cite("concentration", colognes[0])
        draft.notes.append(f"no concentration named: '{colognes[0]}' suggests EdC")
        return Concentration.EDC
    if not draft.intensities:
        draft.notes.append("no concentration named: EdP by default")
        return Concentration.EDP
    votes = Counter(level for level, _ in draft.intensities)
    chosen = votes.most_common(1)[0][0]  # ties go to the word said first
    words = [w for level, w in draft.intensities if level is chosen]
    for w in words:
        draft.cite("concentration", w)
    quoted = ", ".join(f"'{w}'" for w in words)
    draft.notes.append(
        f"no concentration named: {quoted} suggests {lx.CONCENTRATION_LABEL[chosen]}"
    )
    return chosen
