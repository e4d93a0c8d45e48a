"""The product a brief's fragrance goes into ("a shower gel", "for candles"), read from
the keywords of the product table; a fine fragrance when none is named."""

import re
from dataclasses import dataclass
from functools import cache

from fragrance_ai.regulation import load_regulation
from schemas.brief import Product


@dataclass(frozen=True)
class ProductReading:
    product: Product
    evidence: str


def _spaced(phrase: str) -> str:
    return re.sub(r"[\s-]+", " ", phrase.strip().lower())


@cache
def _keywords() -> tuple[re.Pattern[str], dict[str, Product]]:
    by_phrase: dict[str, Product] = {}
    for use in load_regulation().products.values():
        if use.product_id.startswith(Product.FINE_FRAGRANCE.value):
            continue  # fine fragrance is the default; its concentrations are the lexicon's
        for keyword in use.keywords:
            by_phrase.setdefault(_spaced(keyword), Product(use.product_id))
    longest_first = sorted(by_phrase, key=len, reverse=True)  # "shower gel" before "gel"
    alternatives = "|".join(re.escape(p).replace(r"\ ", r"[\s-]+") for p in longest_first)
    return re.compile(rf"\b({alternatives})(e?s)?\b"), by_phrase


# "smells like old lipstick", "reminiscent of a candle": a product the scent is compared
# to, not the one it goes into. "I'd like a shower gel" asks for one.
_SIMILE_BEFORE = re.compile(
    r"(?:(?<!'d )(?<!\u2019d )(?<!would )\blike|\breminiscent\s+of)(?:\s+[a-z']+){0,2}\s+$"
)


def find_product(folded: str, text: str) -> ProductReading | None:
    """The first product named in the folded text that the scent is not compared to,
    with its words as written."""
    pattern, by_phrase = _keywords()
    for found in pattern.finditer(folded):
        if _SIMILE_BEFORE.search(folded, 0, found.start()) is None:
            phrase = _spaced(found.group(1))
            return ProductReading(by_phrase[phrase], text[found.start() : found.end()])
    return None
