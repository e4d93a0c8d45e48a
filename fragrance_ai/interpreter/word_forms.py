"""Word forms: the catalog's note words as a brief may write them, "smoke" for smoky,
"sweetness" for sweet, "resin" for resinous, "smokiness" for smoky.

English makes odour adjectives from nouns with a few suffixes (smok-y, resin-ous,
honey-ed, metall-ic) and nouns from adjectives with -ness. Stemmers (Porter, Snowball)
undo inflections but keep these apart ("smoky" stems to "smoki", "smoke" to "smoke"),
and lemmatizers need a dictionary shipped as data; the suffixes are few, so they are
written here. Two words are forms of one another when they share a base: the word
itself or what is left once one suffix is taken off.
"""

from collections.abc import Iterator

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


def forms_of(word: str) -> set[str]:
    """The word and its bases: two words are forms of one another when these meet."""
    return {word, *bases(word)}


def same_word(a: str, b: str) -> bool:
    """True when `a` and `b` are forms of one another ("smoke" and "smoky")."""
    return bool(forms_of(a) & forms_of(b))
