"""The words of a brief: folding and tokenising its text, keeping every span mappable
to the original, and the forms a catalog note word may take in it ("smoke" for smoky,
"sweetness" for sweet, "resin" for resinous, "smokiness" for smoky).

English makes odour adjectives from nouns with a few suffixes (smok-y, resin-ous,
honey-ed, metall-ic) and nouns from adjectives with -ness. Stemmers (Porter, Snowball)
undo inflections but keep these apart ("smoky" stems to "smoki", "smoke" to "smoke"),
and lemmatizers need a dictionary shipped as data; the suffixes are few, so they are
written here. Two words are forms of one another when they share a base: the word
itself or what is left once one suffix is taken off.
"""

import itertools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

_PUNCTUATION_FOLD = str.maketrans(
    {"’": "'", "‘": "'", "“": '"', "”": '"', "«": '"', "»": '"', "–": "-", "—": "-"}
)
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_CLAUSE_BREAK = re.compile(r"[.,;:!?()\[\]\n\"]")


def fold(text: str) -> str:
    """Lower-case, accent-free copy of `text` of the same length, so that a span
    found in the copy slices the same words out of the original."""
    chars = []
    for ch in text.translate(_PUNCTUATION_FOLD):
        base = unicodedata.normalize("NFKD", ch)[0]
        lowered = base.lower()
        chars.append(lowered if len(lowered) == 1 else base)
    return "".join(chars)


def mask(folded: str, spans: list[tuple[int, int]]) -> str:
    """Blank out spans already read (budgets, counts) with a clause break, so their
    words are not read again and a negation before them stops there."""
    chars = list(folded)
    for start, end in spans:
        chars[start:end] = "," * (end - start)
    return "".join(chars)


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Tokens:
    """The words of a folded text and, for each, whether a clause ends after it."""

    words: tuple[Token, ...]
    breaks_after: tuple[bool, ...]

    def __len__(self) -> int:
        return len(self.words)

    def text(self, first: int, last: int) -> tuple[str, ...]:
        return tuple(t.text for t in self.words[first:last])

    def joined(self, first: int, last: int) -> bool:
        """True when words first..last-1 sit in one clause."""
        return not any(self.breaks_after[first : last - 1])


def tokenize(folded: str) -> Tokens:
    words = tuple(Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(folded))
    gaps = [folded[a.end : b.start] for a, b in itertools.pairwise(words)]
    breaks = [bool(_CLAUSE_BREAK.search(gap)) for gap in gaps]
    return Tokens(words, (*breaks, True) if words else ())


def surface(original: str, start: int, end: int) -> str:
    """The original words of a span, whitespace collapsed."""
    return " ".join(original[start:end].split())


# Suffix, and what replaces it: "smokiness" is "smoky" + -ness, "dried" is "dry" + -ed.
_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("iness", "y"),
    ("ness", ""),
    ("ied", "y"),
    ("ous", ""),
    ("ish", ""),
    ("ed", ""),
    ("ic", ""),
    ("y", ""),
)
_VOWELS = frozenset("aeiouy")
# A shorter base is more often a different word than a form of this one ("dr-y").
MIN_BASE = 3


def bases(word: str) -> tuple[str, ...]:
    """What `word` may be a form of, itself excluded, sorted so that every reading
    tries them in one order: "smoky" gives smok, smoke; "figgy" gives fig, figg;
    "sweetness" gives sweet."""
    found: set[str] = set()
    for suffix, replacement in _SUFFIXES:
        stem = word.removesuffix(suffix)
        if stem == word or len(stem + replacement) < MIN_BASE:
            continue
        if suffix == "y" and stem[-1] in _VOWELS:
            continue  # "honey", "clay": the y belongs to the word
        found.update(_spellings(stem, replacement))
    return tuple(sorted(found - {word}))


def _spellings(stem: str, replacement: str) -> Iterator[str]:
    if replacement:
        yield stem + replacement
        return
    yield stem
    if stem[-1] == stem[-2] and stem[-1] not in _VOWELS:
        yield stem[:-1]  # fig-gy, metal-lic; "grass-y" keeps its own double letter too
    elif stem[-1] not in _VOWELS:
        yield stem + "e"  # smok(e)-y, spic(e)-d
