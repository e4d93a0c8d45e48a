"""Text that asks for something other than a scent: a poem about the sea, a story.

Everyday words are also family words ("sea" is aquatic, "flowers" floral), so a
request for a poem about the sea would otherwise read as an aquatic brief.
"""

from fragrance_ai.interpreter.errors import OffTopicBriefError
from fragrance_ai.interpreter.text import Tokens

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
