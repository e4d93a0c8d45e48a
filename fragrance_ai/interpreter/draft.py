"""What the found phrases say, field by field, and then the settling of that draft:
contradictions, mood words against exclusions, weak priors, and one value for each
single-valued field."""

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from fragrance_ai.catalog import Catalog
from fragrance_ai.interpreter import lexicon as lx
from fragrance_ai.interpreter.errors import ContradictoryBriefError, VagueBriefError
from fragrance_ai.interpreter.terms import Kind, Match
from fragrance_ai.interpreter.text import surface
from schemas.brief import (
    Concentration,
    Gender,
    Season,
    Style,
    wanted_and_excluded,
    without_families,
)
from schemas.material import Family

# Relative pull of each kind of word on the target profile: naming a family
# says more than naming one of its notes or materials, and placing a note in
# the pyramid ("vetiver base") makes it count as its family; mood words hint.
FAMILY_WEIGHT = 1.0
STRUCTURAL_WEIGHT = 1.2
NOTE_WEIGHT = 0.5
MATERIAL_WEIGHT = 0.5
MOOD_WEIGHT = 0.6
# A style insists on the families that make at least half of it: "no fougere" excludes
# those, and "a soliflore, no florals" is a contradiction. Its smaller shares only lean,
# as a mood word does, so "a green chypre, minus the florals" drops chypre's floral part.
STYLE_INSISTS_FROM_SHARE = 0.5


@dataclass
class Draft:
    """Every reading of the text, with the words behind it, in text order."""

    hard: dict[Family, float] = field(default_factory=dict)
    soft: dict[Family, float] = field(default_factory=dict)
    wanted_by: dict[Family, list[str]] = field(default_factory=dict)
    wanted_notes: dict[str, str] = field(default_factory=dict)
    wanted_materials: dict[str, str] = field(default_factory=dict)
    excluded_families: dict[Family, str] = field(default_factory=dict)
    excluded_notes: dict[str, str] = field(default_factory=dict)
    excluded_materials: dict[str, str] = field(default_factory=dict)
    seasons: list[tuple[Season, str]] = field(default_factory=list)
    genders: list[tuple[Gender, str]] = field(default_factory=list)
    concentrations: list[tuple[Concentration, str]] = field(default_factory=list)
    intensities: list[tuple[Concentration, str]] = field(default_factory=list)
    styles: list[tuple[Style, str]] = field(default_factory=list)
    family_styles: list[tuple[Style, str]] = field(default_factory=list)
    """Styles a family word brings (lexicon.FAMILY_STYLE); a style word comes first."""
    evidence: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def cite(self, field_name: str, words: str) -> None:
        cited = self.evidence.setdefault(field_name, [])
        if words not in cited:
            cited.append(words)

    def pull(self, mix: Mapping[Family, float], weight: float, words: str, *, soft: bool) -> None:
        target = self.soft if soft else self.hard
        for family, share in mix.items():
            target[family] = target.get(family, 0.0) + weight * share
            self.wanted_by.setdefault(family, []).append(words)
        self.cite("family_weights", words)


def _want(draft: Draft, m: Match, words: str) -> None:
    kind, value = m.term.kind, m.term.value
    scale = STRUCTURAL_WEIGHT if m.structural else None
    if kind is Kind.STYLE:
        weight = scale or FAMILY_WEIGHT
        for family, share in m.term.families.items():
            insists = share >= STYLE_INSISTS_FROM_SHARE
            draft.pull({family: share}, weight, words, soft=not insists)
        draft.styles.append((lx.STYLE_OF[value], words))
    elif kind is Kind.FAMILY:
        draft.pull(m.term.families, scale or FAMILY_WEIGHT, words, soft=False)
        if not m.term.families.keys() - lx.FAMILY_STYLE.keys():
            family = next(iter(m.term.families))
            draft.family_styles.append((lx.FAMILY_STYLE[family], words))
    elif kind is Kind.MOOD:
        draft.pull(m.term.families, MOOD_WEIGHT, words, soft=True)
    elif kind is Kind.NOTE:
        draft.pull(m.term.families, scale or NOTE_WEIGHT, words, soft=False)
        draft.wanted_notes.setdefault(value, words)
        draft.cite("wanted_notes", words)
    elif kind is Kind.MATERIAL:
        draft.pull(m.term.families, scale or MATERIAL_WEIGHT, words, soft=False)
        draft.wanted_materials.setdefault(value, words)
        draft.cite("wanted_materials", words)
    elif kind is Kind.SEASON:
        draft.seasons.append((Season(value), words))
    elif kind is Kind.GENDER:
        draft.genders.append((Gender(value), words))
    elif kind is Kind.CONCENTRATION:
        draft.concentrations.append((Concentration(value), words))
    elif kind is Kind.INTENSITY:
        draft.intensities.append((Concentration(value), words))


def _exclude(draft: Draft, m: Match, words: str) -> None:
    kind, value = m.term.kind, m.term.value
    if kind in (Kind.FAMILY, Kind.STYLE):
        ruled_out = [f for f, s in m.term.families.items() if s >= STYLE_INSISTS_FROM_SHARE]
        for family in ruled_out:
            draft.excluded_families.setdefault(family, words)
            draft.cite("excluded_families", words)
        if not ruled_out:
            draft.notes.append(f"'{words}': {value} blends several families; name the one to avoid")
    elif kind is Kind.NOTE:
        draft.excluded_notes.setdefault(value, words)
        draft.cite("excluded_notes", words)
    elif kind is Kind.MATERIAL:
        draft.excluded_materials.setdefault(value, words)
        draft.cite("excluded_materials", words)
    elif kind is Kind.INTENSITY:
        draft.intensities.append((lx.NEGATED_INTENSITY[Concentration(value)], words))
    else:
        draft.notes.append(f"'{words}' is too vague to exclude anything; ignored")


def _weighs_a_note(m: Match, original: str) -> bool:
    """'iris-heavy', 'coumarin-rich': a strong-intensity word hyphened to the word before
    it says how much of that note, not how concentrated the perfume is."""
    strong = m.term.kind is Kind.INTENSITY and m.term.value == Concentration.PARFUM.value
    return (
        strong and m.start >= 2 and original[m.start - 1] == "-" and original[m.start - 2].isalpha()
    )


def read_matches(matches: list[Match], original: str) -> Draft:
    draft = Draft()
    for m in matches:
        words = surface(original, m.evidence_start, m.evidence_end)
        if _weighs_a_note(m, original):
            compound = surface(original, original.rfind(" ", 0, m.start) + 1, m.end)
            draft.notes.append(f"'{compound}' says how much of a note, not a concentration")
            continue
        (_exclude if m.negated else _want)(draft, m, words)
    return draft


# Settling the draft.
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
