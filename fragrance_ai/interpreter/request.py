"""What a brief's text asks for: a scent at all, rather than a poem about the sea or a
story, and then the product that scent goes into ("a shower gel", "for candles"), read
from the keywords of the product table; a fine fragrance when none is named.

Everyday words are also family words ("sea" is aquatic, "flowers" floral), so a
request for a poem about the sea would otherwise read as an aquatic brief.
"""

import re
from dataclasses import dataclass
from functools import cache

from fragrance_ai.interpreter.errors import OffTopicBriefError
from fragrance_ai.interpreter.text import Tokens
from fragrance_ai.regulation import load_regulation
from schemas.brief import Product

# What people ask a chat model for that is not a perfume.
OTHER_REQUESTS = frozenset(
    [
        *("poem", "poems", "poetry", "haiku", "limerick", "sonnet", "verse", "lyrics", "song"),
        *("story", "stories", "essay", "article", "speech", "joke", "jokes", "riddle"),
        *("email", "letter", "tweet", "recipe", "code", "program", "script", "homework"),
        *("translate", "translation", "summary", "summarise", "summarize"),
    ]
)
# Words that only a scent brief uses; one of them keeps the text on topic
# ("a perfume inspired by a poem about the sea").
PERFUME_WORDS = frozenset(
    [
        *("scent", "scents", "scented", "perfume", "perfumes", "fragrance", "fragrances"),
        *("fragrant", "cologne", "colognes", "smell", "smells", "smelling", "odour", "odor"),
        *("aroma", "eau", "edp", "edt", "edc", "parfum", "extrait", "accord", "accords"),
        *("note", "notes", "sillage", "drydown"),
    ]
)


def check_on_topic(tokens: Tokens) -> None:
    """Raise OffTopicBriefError when the text asks for another kind of thing and
    never mentions a scent."""
    words = [token.text for token in tokens.words]
    if PERFUME_WORDS.intersection(words):
        return
    asked = next((word for word in words if word in OTHER_REQUESTS), None)
    if asked is not None:
        raise OffTopicBriefError(asked)


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
