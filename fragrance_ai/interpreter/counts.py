"""Reading the most materials a formula may use ("at most 8 materials", "minimalist")."""

import re
from dataclasses import dataclass

from fragrance_ai.interpreter.errors import MaterialCountError
from fragrance_ai.interpreter.lexicon import MINIMALIST_MAX_MATERIALS, MINIMALIST_WORDS
from fragrance_ai.interpreter.text import surface

MIN_MATERIALS, MAX_MATERIALS = 2, 40  # the bounds Brief.max_materials accepts

_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
}
_NUMBER = r"(\d{1,3}|" + "|".join(_NUMBER_WORDS) + r")"
_NOUN = r"(?:raw\s+materials?|materials?|ingredients?|components?|raws|molecules)\b"
_STRICT_BOUND = r"(?:fewer\s+than|less\s+than|under|below)"
_BOUND = (
    r"(?:at\s+most|no\s+more\s+than|not\s+more\s+than|max(?:imum)?(?:\s+of)?|up\s+to|"
    r"limit(?:ed)?\s+to|only|just|" + _STRICT_BOUND + r")"
)
_COUNT = re.compile(
    r"(?<![a-z])(?:(" + _BOUND + r")\s+)?" + _NUMBER + r"\s*-?\s*" + _NOUN
    + r"(\s*(?:max(?:imum)?|at\s+most|or\s+(?:fewer|less)|tops)\b)?"
)  # fmt: skip
_MINIMALIST = re.compile(
    r"(?<![a-z])(?:" + "|".join(w.replace(" ", r"[\s-]+") for w in MINIMALIST_WORDS) + r")\b"
    r"|(?<![a-z])few\s+" + _NOUN
)


@dataclass(frozen=True)
class CountReading:
    max_materials: int
    evidence: str
    span: tuple[int, int]


def _value(raw: str) -> int:
    return int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]


def find_max_materials(folded: str, original: str) -> list[CountReading]:
    """Every material-count limit in the text, in text order: numbers said outright,
    else style words ("minimalist"). MaterialCountError for a number no formula can
    respect."""
    readings: list[CountReading] = []
    for m in _COUNT.finditer(folded):
        bound, number = m.group(1), _value(m.group(2))
        limit = number - 1 if bound and re.fullmatch(_STRICT_BOUND, bound) else number
        evidence = surface(original, m.start(), m.end())
        if not MIN_MATERIALS <= limit <= MAX_MATERIALS:
            raise MaterialCountError(
                f"'{evidence}' allows {limit} materials; a formula needs between "
                f"{MIN_MATERIALS} and {MAX_MATERIALS}"
            )
        readings.append(CountReading(limit, evidence, (m.start(), m.end())))
    if readings:
        return readings  # a number said outright beats a style word
    for m in _MINIMALIST.finditer(folded):
        evidence = surface(original, m.start(), m.end())
        readings.append(CountReading(MINIMALIST_MAX_MATERIALS, evidence, (m.start(), m.end())))
    return readings
