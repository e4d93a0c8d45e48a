"""Catalog materials by name: the aliases a perfumer writes, and names the catalog lacks."""

import difflib
import re
from functools import lru_cache

from fragrance_ai.catalog import Catalog
from fragrance_ai.interpreter.errors import UnknownMaterialError
from fragrance_ai.interpreter.terms import Match
from fragrance_ai.interpreter.text import Tokens, fold, tokenize
from schemas.material import Material

_NATURAL_FORMS = frozenset(["oil", "absolute", "resinoid", "extract", "concrete", "tincture"])
# Words that make a parenthesis a grade or origin note rather than another name.
_QUALIFIERS = frozenset(
    ["synthetic", "type", "free", "expressed", "distilled", "rectified", "accord", "red",
     "extra", "cold", "pressed", "delta", "grosso", "siam", "egypt", "bulgarian", "haiti"]
)  # fmt: skip


def _words(text: str) -> str:
    return " ".join(tokenize(fold(text)).text(0, 10**6))


def _derived_aliases(material: Material) -> set[str]:
    """Ways to write a material besides its id: the full name, the name before a
    parenthesis and inside it, without a grade number ("Galaxolide 50"), and
    "vetiver oil" for "Vetiver oil Haiti"."""
    head, _, rest = material.name.partition("(")
    aliases = {_words(material.name), _words(head)}
    if not set(_words(rest).split()) & _QUALIFIERS:
        aliases.add(_words(rest))
    words = _words(head).split()
    if len(words) > 1 and words[-1].isdigit():
        aliases.add(" ".join(words[:-1]))
    if len(words) > 2 and words[1] in _NATURAL_FORMS:
        aliases.add(" ".join(words[:2]))
    if material.natural and len(words) == 2 and words[1] in _NATURAL_FORMS:
        aliases.add(words[0])  # "oakmoss" for "Oakmoss absolute"; a note of that name wins
    return {a for a in aliases if a}


@lru_cache(maxsize=8)
def material_aliases(catalog: Catalog) -> dict[str, Material]:
    """Alias -> material. An alias two materials share is dropped; ids always stay."""
    owners: dict[str, set[str]] = {}
    for material in catalog:
        for alias in _derived_aliases(material):
            owners.setdefault(alias, set()).add(material.id)
    aliases = {a: catalog.get(next(iter(ids))) for a, ids in owners.items() if len(ids) == 1}
    aliases.update({m.id.replace("_", " "): m for m in catalog})
    return aliases


_USE_CUE = re.compile(
    r"(?<![a-z])(?:use|using|uses|include|including|includes|add|adding|contain|containing|"
    r"contains|feature|featuring|based\s+on|built\s+(?:on|around))\s"
)
_QUOTED = re.compile(r"\"([^\"]{1,40})\"|(?<![a-z0-9])'([^']{1,40})'(?![a-z0-9])")
_LEADING = frozenset(
    ["a", "an", "the", "some", "lots", "plenty", "of", "more", "only", "just", "mostly",
     "real", "natural", "touch", "bit", "hint", "dash", "little", "generous", "overdose"]
)  # fmt: skip
_CHEMICAL_SUFFIX = re.compile(r"[a-z]{3,}(?:ol|ide|ene|yde|ane|one|lide)$")
_NOT_CHEMICAL = frozenset(
    ["inside", "outside", "aside", "beside", "someone", "everyone", "anyone", "alone",
     "stone", "scene", "serene", "mundane", "humane", "insane", "arcane", "control"]
)  # fmt: skip


def _looks_like_material(name: str, aliases: dict[str, Material]) -> bool:
    lowered = name.lower()
    return (
        name[:1].isupper()
        or any(ch.isdigit() for ch in name)
        or (bool(_CHEMICAL_SUFFIX.match(lowered)) and lowered not in _NOT_CHEMICAL)
        or bool(difflib.get_close_matches(lowered, aliases, n=1, cutoff=0.8))
    )


def _suggestions(name: str, aliases: dict[str, Material]) -> list[str]:
    close = difflib.get_close_matches(name.lower(), aliases, n=6, cutoff=0.6)
    return list(dict.fromkeys(aliases[a].name for a in close))[:3]


def _unknown(name: str, aliases: dict[str, Material], size: int) -> UnknownMaterialError:
    return UnknownMaterialError(name, _suggestions(name, aliases), size)


def _candidates_after_cues(folded: str, tokens: Tokens, matches: list[Match]) -> list[int]:
    """Word indices right after 'use', 'including'... that no known phrase explains."""
    match_at = {m.first: m for m in matches}
    start_of = {t.start: i for i, t in enumerate(tokens.words)}
    found: list[int] = []
    for cue in _USE_CUE.finditer(folded):
        j = next((i for s, i in start_of.items() if s >= cue.end()), len(tokens))
        while j < len(tokens) and tokens.joined(j - 1, j + 1):
            if tokens.words[j].text in _LEADING | {"and", "or", "plus"}:
                j += 1
            elif j in match_at:
                j = match_at[j].last
                if j >= len(tokens) or tokens.words[j].text not in {"and", "or", "plus"}:
                    break
            elif j + 1 in match_at and tokens.joined(j, j + 2):
                j += 1  # an origin or grade before a known name: "Mysore sandalwood"
            else:
                found.append(j)
                break
    return found


def check_named_materials(
    original: str, folded: str, tokens: Tokens, matches: list[Match], catalog: Catalog
) -> None:
    """Raise UnknownMaterialError for a material named explicitly ('use Zorbanol',
    a quoted name) that is neither in the catalog nor a word the interpreter knows."""
    aliases = material_aliases(catalog)
    for j in _candidates_after_cues(folded, tokens, matches):
        word = tokens.words[j]
        name = original[word.start : word.end]
        if _looks_like_material(name, aliases):
            raise _unknown(name, aliases, len(catalog))
    covered = {i for m in matches for i in range(m.start, m.end)}
    for quote in _QUOTED.finditer(folded):
        start, end = quote.span(1) if quote.group(1) else quote.span(2)
        unexplained = [t for t in tokens.words if start <= t.start < end and t.start not in covered]
        name = original[start:end].strip()
        if unexplained and _looks_like_material(name, aliases):
            raise _unknown(name, aliases, len(catalog))
