"""Folding and tokenising brief text, keeping every span mappable to the original."""

import itertools
import re
import unicodedata
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
