"""Which catalog words a brief names: the only ones a model's reply may use for it."""

import re
from collections.abc import Collection

_WORD = re.compile(r"[a-z0-9]+")
# "woody base" speaks of the pyramid, not of the catalog's *_base accords.
_PYRAMID_WORDS = frozenset({"base"})


def mentioned(text: str, vocabulary: Collection[str]) -> list[str]:
    """The entries of `vocabulary` the text names: whole (`fig`, `violet-leaf`) or by a
    word of 4 letters or more (`vetiver` for `vetiver_oil`).

    A reply may only name notes and materials the brief mentions, so the prompt lists
    those alone: the whole catalog would be some 1,500 tokens of prefill per brief.
    """
    words = set(_WORD.findall(text.casefold())) - _PYRAMID_WORDS
    return sorted(entry for entry in vocabulary if _named(entry.casefold(), words))


def _named(entry: str, words: set[str]) -> bool:
    parts = _WORD.findall(entry)
    return "".join(parts) in words or any(len(p) >= 4 and p in words for p in parts)
