"""Negation: which found phrases the brief rules out ("no musk", "without vanilla
or tonka", "not too sweet", "musk-free").

A cue opens a scope that runs over the phrases after it, through connectives and
softeners ("or", "too", "any"), and closes at a clause break or any other word:
"no musk, woody base" and "no musk but a woody base" exclude only the musk.
"""

import itertools

from fragrance_ai.interpreter.terms import Kind, Match
from fragrance_ai.interpreter.text import Tokens

# Tried in order, so a longer cue comes before the shorter one it starts with.
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
