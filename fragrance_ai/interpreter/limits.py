"""The limits a brief sets in numbers: a budget per kg of concentrate, converted to USD,
and the most materials a formula may use ("at most 8 materials", "minimalist")."""

import re
from dataclasses import dataclass

from fragrance_ai.interpreter.errors import BudgetError, MaterialCountError
from fragrance_ai.interpreter.lexicon import MINIMALIST_MAX_MATERIALS, MINIMALIST_WORDS
from fragrance_ai.interpreter.text import surface

# Approximate fixed exchange rates (late 2020s averages), good enough to set a
# cost target; a brief that needs exact money should be written in USD.
USD_PER_EUR = 1.08
USD_PER_GBP = 1.27
USD_PER = {"usd": 1.0, "eur": USD_PER_EUR, "gbp": USD_PER_GBP}
KG_PER_UNIT = {"kg": 1.0, "g": 0.001, "lb": 0.45359237}

_SYMBOL = {"$": "usd", "us$": "usd", "€": "eur", "£": "gbp"}
_WORD = {
    "usd": "usd", "dollar": "usd", "dollars": "usd", "bucks": "usd",
    "eur": "eur", "euro": "eur", "euros": "eur",
    "gbp": "gbp", "pound": "gbp", "pounds": "gbp", "quid": "gbp",
}  # fmt: skip
# One amount, or a range whose upper end is the budget: "$30-40", "$30 to $40", "$30 and $40".
_AMOUNT = (
    r"(\d+(?:[.,]\d+)?)(?:\s*(?:-|to|and(?=\s*(?:us\$|\$|€|£)))\s*(?:us\$|\$|€|£)?\s*"
    r"(\d+(?:[.,]\d+)?))?"
)
_SYM = r"(us\$|\$|€|£)"
_WORDS = r"(usd|dollars?|bucks|eur|euros?|gbp|pounds?|quid)\b"
_MONEY = [
    re.compile(_SYM + r"\s*" + _AMOUNT + r"(?:\s*" + _WORDS + ")?"),  # $40, $40 usd
    re.compile(_AMOUNT + r"\s*(?:" + _SYM + "|" + _WORDS + ")"),  # 40€, 40 eur
    re.compile(r"\b" + _WORDS + r"\s*" + _AMOUNT),  # eur 40
    re.compile(r"(?<![\w.])" + _AMOUNT + r"(?=\s*(?:/|per\b)\s*(?:kg|kilo))"),  # 40/kg
]
_UNIT = re.compile(
    r"\s*(?:/|per|a|an|each|for\s+(?:a|one|each))\s*"
    r"(kg|kgs|kilo|kilos|kilogram|kilograms|g|gram|grams|lb|lbs|pound)\b"
)
_OTHER_UNIT = re.compile(r"\s*(?:/|per)\s*([a-z0-9]+(?:\s+[a-z]+)?)")
_CUE_BEFORE = re.compile(
    r"(?<![a-z])(?:budget(?:\s+of|\s+is)?|under|below|max(?:imum)?(?:\s+of)?|less\s+than|at\s+most|"
    r"no\s+more\s+than|not\s+more\s+than|up\s+to|cheaper\s+than|within|around|about|"
    r"between|cost(?:ing)?(?:\s+under)?)\s*:?\s*$"
)
_CUE_AFTER = re.compile(r"\s*(?:max(?:imum)?|at\s+most|or\s+less|or\s+below|tops|cap)\b")


@dataclass(frozen=True)
class BudgetReading:
    usd_per_kg: float
    evidence: str
    span: tuple[int, int]
    notes: tuple[str, ...]


def _number(raw: str) -> float:
    if re.fullmatch(r"\d{1,3},\d{3}", raw):  # 1,200: a thousands separator
        return float(raw.replace(",", ""))
    return float(raw.replace(",", "."))


def _unit_key(word: str) -> str:
    return "kg" if word.startswith("k") else ("lb" if word.startswith(("lb", "pound")) else "g")


def _find_money(folded: str) -> list[re.Match[str]]:
    found: list[re.Match[str]] = []
    for pattern in _MONEY:
        for m in pattern.finditer(folded):
            if not any(m.start() < f.end() and f.start() < m.end() for f in found):
                found.append(m)
    return sorted(found, key=lambda m: m.start())


def _currency(match: re.Match[str]) -> str | None:
    for group in match.groups():
        if group in _SYMBOL:
            return _SYMBOL[group]
        if group in _WORD:
            return _WORD[group]
    return None


def _read_one(folded: str, original: str, money: re.Match[str]) -> BudgetReading:
    amounts = [_number(g) for g in money.groups() if g and g[0].isdigit()]
    currency = _currency(money)
    end, notes = money.end(), []
    unit = _UNIT.match(folded, end)
    if unit is not None:
        end, per = unit.end(), _unit_key(unit.group(1))
    else:
        other = _OTHER_UNIT.match(folded, end)
        if other is not None:
            raise BudgetError(
                f"the budget '{surface(original, money.start(), other.end())}' is not per "
                "kilogram: give it per kg of concentrate, e.g. 'under $40/kg'"
            )
        per = "kg"
        notes.append("the budget gives no unit: read as per kg of concentrate")
    start = money.start()
    cue = _CUE_BEFORE.search(folded, 0, start)
    if cue is not None:
        start = cue.start()
    tail = _CUE_AFTER.match(folded, end)
    if tail is not None:
        end = tail.end()
    amount = max(amounts)
    if amount <= 0:
        raise BudgetError(f"the budget '{surface(original, start, end)}' must be more than zero")
    usd = round(amount * USD_PER[currency or "usd"] / KG_PER_UNIT[per], 2)
    evidence = surface(original, start, end)
    if currency is None:
        notes.append(f"'{evidence}' names no currency: read as USD")
    elif currency != "usd":
        notes.append(
            f"budget '{evidence}' converted to about ${usd:g}/kg at the approximate "
            f"fixed rate of {USD_PER[currency]} USD per {currency.upper()}"
        )
    if per != "kg":
        notes.append(f"budget '{evidence}' converted to ${usd:g} per kg")
    return BudgetReading(usd, evidence, (start, end), tuple(notes))


def find_budget(folded: str, original: str) -> list[BudgetReading]:
    """Every budget in the text, in text order. Raise BudgetError for one that
    cannot be used (a unit other than weight, zero)."""
    return [_read_one(folded, original, m) for m in _find_money(folded)]


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
