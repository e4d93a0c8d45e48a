"""What the found phrases say, field by field, before conflicts are settled."""

from collections.abc import Mapping
from dataclasses import dataclass, field

from fragrance_ai.interpreter import lexicon as lx
from fragrance_ai.interpreter.terms import Kind, Match
from fragrance_ai.interpreter.text import surface
from schemas.brief import Concentration, Gender, Season, Style
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
