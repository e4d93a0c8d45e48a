"""Finding the lexicon's words in a brief, longest phrase first, one meaning each, and
what the words around a phrase say of it: placed in the pyramid ("woody base") or ruled
out ("no musk", "without vanilla or tonka", "not too sweet", "musk-free").

A negation cue opens a scope that runs over the phrases after it, through connectives
and softeners ("or", "too", "any"), and closes at a clause break or any other word:
"no musk, woody base" and "no musk but a woody base" exclude only the musk.
"""

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from fragrance_ai.interpreter import lexicon as lx
from fragrance_ai.interpreter.text import Tokens, bases
from schemas.material import Family, Material


class Kind(StrEnum):
    FAMILY = "family"
    STYLE = "style"
    MOOD = "mood"
    NOTE = "note"
    MATERIAL = "material"
    SEASON = "season"
    GENDER = "gender"
    CONCENTRATION = "concentration"
    INTENSITY = "intensity"


@dataclass(frozen=True)
class Term:
    kind: Kind
    value: str
    families: Mapping[Family, float] = field(default_factory=dict)


@dataclass
class Match:
    """One lexicon phrase found at words first..last-1 (chars start..end)."""

    term: Term
    first: int
    last: int
    start: int
    end: int
    negated: bool = False
    cue_start: int | None = None
    structural: bool = False
    evidence_start: int = 0
    evidence_end: int = 0

    def __post_init__(self) -> None:
        self.evidence_start, self.evidence_end = self.start, self.end


Lexicon = dict[tuple[str, ...], Term]


def build_lexicon(
    descriptors: Mapping[str, Family], material_aliases: Mapping[str, Material]
) -> Lexicon:
    """Every known phrase with its meaning. Later groups override earlier ones, so a
    word the interpreter's own vocabulary knows keeps that meaning, and a material
    name that is also a note reads as the note. Other forms of a note's word come
    last and take only words that mean nothing yet."""
    table: Lexicon = {}
    for alias, material in material_aliases.items():
        words = lx.phrase(alias)
        if words[-1] in lx.STRUCTURE_AFTER and " ".join(words[:-1]) in descriptors:
            continue  # "oud base" places a note in the pyramid more often than it names a base
        table[words] = Term(Kind.MATERIAL, material.id, {material.family: 1.0})
    for note, family in descriptors.items():
        table[lx.phrase(note)] = Term(Kind.NOTE, note, {family: 1.0})
    groups: list[tuple[Kind, Mapping[str, StrEnum]]] = [
        (Kind.SEASON, lx.SEASON_WORDS),
        (Kind.GENDER, lx.GENDER_WORDS),
        (Kind.INTENSITY, lx.INTENSITY_WORDS),
        (Kind.CONCENTRATION, lx.CONCENTRATION_WORDS),
    ]
    for kind, vocabulary in groups:
        for word, value in vocabulary.items():
            table[lx.phrase(word)] = Term(kind, str(value))
    for word, mix in lx.MOOD_WORDS.items():
        table[lx.phrase(word)] = Term(Kind.MOOD, word, mix)
    for word, mix in lx.STYLE_WORDS.items():
        table[lx.phrase(word)] = Term(Kind.STYLE, word, mix)
    for word, fam in lx.FAMILY_WORDS.items():
        table[lx.phrase(word)] = Term(Kind.FAMILY, fam.value, {fam: 1.0})
    for note, family in descriptors.items():
        *head, last = lx.phrase(note)
        for base in bases(last):  # "smoke" for smoky, "resin" for resinous
            table.setdefault((*head, base), Term(Kind.NOTE, note, {family: 1.0}))
    return table


def _singulars(word: str) -> list[str]:
    if len(word) > 3 and word.endswith("es"):
        return [word[:-1], word[:-2]]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return [word[:-1]]
    return []


def _lookup(lexicon: Lexicon, words: tuple[str, ...]) -> Term | None:
    term = lexicon.get(words)
    if term is not None:
        return term
    for singular in _singulars(words[-1]):
        term = lexicon.get((*words[:-1], singular))
        if term is not None and term.kind in (Kind.NOTE, Kind.MATERIAL, Kind.FAMILY):
            return term
    for base in bases(words[-1]):  # "sweetness", "smokiness", "smoked"
        term = lexicon.get((*words[:-1], base))
        if term is not None and term.kind in (Kind.NOTE, Kind.FAMILY):
            return term
    return None


def find_terms(tokens: Tokens, lexicon: Lexicon) -> list[Match]:
    """Scan left to right, taking at each word the longest phrase that is known."""
    longest = max((len(k) for k in lexicon), default=1)
    matches: list[Match] = []
    i = 0
    while i < len(tokens):
        for size in range(min(longest, len(tokens) - i), 0, -1):
            if size > 1 and not tokens.joined(i, i + size):
                continue
            term = _lookup(lexicon, tokens.text(i, i + size))
            if term is not None:
                words = tokens.words
                matches.append(Match(term, i, i + size, words[i].start, words[i + size - 1].end))
                i += size
                break
        else:
            i += 1
    return matches


_PLACES_A_FAMILY = (Kind.FAMILY, Kind.NOTE, Kind.STYLE, Kind.MATERIAL)


def _placed_after(tokens: Tokens, m: Match) -> bool:
    """'woody base', 'floral heart'"""
    after = m.last
    return (
        after < len(tokens)
        and tokens.words[after].text in lx.STRUCTURE_AFTER
        and tokens.joined(m.last - 1, after + 1)
    )


def _placed_before(tokens: Tokens, m: Match) -> bool:
    """'base of vetiver', 'heart of rose'"""
    before = m.first - 2
    return (
        before >= 0
        and tokens.text(before, m.first) in {(w, "of") for w in lx.STRUCTURE_BEFORE}
        and tokens.joined(before, m.first + 1)
    )


def mark_structure(tokens: Tokens, matches: list[Match]) -> None:
    """Flag phrases placed in the pyramid and widen their evidence to the placing word."""
    for m in matches:
        if m.term.kind not in _PLACES_A_FAMILY:
            continue
        if _placed_after(tokens, m):
            m.structural, m.evidence_end = True, tokens.words[m.last].end
        elif _placed_before(tokens, m):
            m.structural, m.evidence_start = True, tokens.words[m.first - 2].start


# Negation cues, tried in order, so a longer cue comes before the shorter one it starts with.
CUES: tuple[tuple[str, ...], ...] = (
    ("not", "a", "fan", "of"),
    ("free", "of"),
    ("free", "from"),
    ("allergic", "to"),
    ("leave", "out"),
    ("away", "from"),
    ("clear", "of"),
    ("can't", "stand"),
    ("cannot", "stand"),
    ("do", "not"),
    ("no",),
    ("not",),
    ("without",),
    ("avoid",),
    ("avoiding",),
    ("nothing",),
    ("never",),
    ("none",),
    ("minus",),
    ("exclude",),
    ("excluding",),
    ("except",),
    ("skip",),
    ("don't",),
    ("dont",),
    ("nor",),
    ("zero",),
    ("hate",),
    ("hates",),
    ("dislike",),
    ("dislikes",),
)
# Cues after which an unrecognised word is worth reporting: they can only mean exclusion.
STRICT_CUES = frozenset(
    ["without", "avoid", "avoiding", "free", "exclude", "excluding", "skip", "allergic"]
)

# Right after a cue: "not a gourmand", "no trace of oud", "without any musk".
_OPENERS = frozenset(
    [
        "a",
        "an",
        "the",
        "any",
        "anything",
        "too",
        "overly",
        "very",
        "much",
        "trace",
        "traces",
        "hint",
        "hints",
        "of",
        "obvious",
        "overt",
        "heavy",
        "synthetic",
        "want",
        "like",
        "use",
        "using",
        "add",
        "adding",
        "include",
        "including",
    ]
)
# Between excluded phrases: "no musk or vanilla", "without musk and oud notes".
_CONNECTIVES = frozenset(
    [
        "or",
        "nor",
        "and",
        "too",
        "overly",
        "any",
        "of",
        "notes",
        "note",
        "accord",
        "accords",
        "facets",
        "nuances",
        "tones",
        "undertones",
        "at",
        "all",
        "whatsoever",
        "either",
    ]
)


def _cue_at(tokens: Tokens, i: int) -> int:
    for cue in CUES:
        if tokens.text(i, i + len(cue)) == cue and tokens.joined(i, i + len(cue)):
            return len(cue)
    return 0


def mark_negation(tokens: Tokens, matches: list[Match]) -> list[tuple[int, str]]:
    """Set `negated` on matches inside a negation scope, and on 'X-free' phrases.
    Returns (word index, cue) for words right after a strict cue that no phrase
    explains, so the caller can say they were not understood."""
    match_at = {m.first: m for m in matches}
    unexplained: list[tuple[int, str]] = []
    scope: int | None = None
    opening = False
    i = 0
    while i < len(tokens):
        m = match_at.get(i)
        cue = 0 if m else _cue_at(tokens, i)
        if cue:
            scope, opening, last = tokens.words[i].start, True, i + cue - 1
            _note_unexplained(tokens, match_at, i, cue, unexplained)
        elif m is not None:
            if scope is not None:
                m.negated, m.cue_start, m.evidence_start = True, scope, scope
            opening, last = False, m.last - 1
        else:
            word = tokens.words[i].text
            keep = word in _CONNECTIVES or (opening and word in _OPENERS)
            scope = scope if keep else None
            last = i
        if tokens.breaks_after[last]:
            scope = None
        i = last + 1
    _mark_free_suffix(tokens, matches)
    _unnegate_qualifiers(tokens, matches)
    return unexplained


def _unnegate_qualifiers(tokens: Tokens, matches: list[Match]) -> None:
    """In "no heavy musk" the intensity word qualifies the musk, not the whole scent:
    it should not turn into a wish for a light concentration."""
    qualifiers = [
        m
        for m, following in itertools.pairwise(matches)
        if m.negated
        and m.term.kind is Kind.INTENSITY
        and following.first == m.last
        and tokens.joined(m.last - 1, following.first + 1)
    ]
    for m in qualifiers:
        matches.remove(m)


def _note_unexplained(
    tokens: Tokens, match_at: dict[int, Match], i: int, cue: int, out: list[tuple[int, str]]
) -> None:
    cue_word = tokens.words[i].text
    j = i + cue
    while j < len(tokens) and tokens.words[j].text in _OPENERS and tokens.joined(i, j + 1):
        j += 1
    if (
        cue_word in STRICT_CUES
        and j < len(tokens)
        and tokens.joined(i, j + 1)
        and j not in match_at
        and tokens.words[j].text.isalpha()
    ):
        out.append((j, " ".join(tokens.text(i, i + cue))))


def _mark_free_suffix(tokens: Tokens, matches: list[Match]) -> None:
    for m in matches:
        after = m.last
        free = after < len(tokens) and tokens.words[after].text == "free"
        if free and tokens.joined(m.last - 1, after + 1):
            m.negated, m.evidence_end = True, tokens.words[after].end
