"""The interpreter's own vocabulary: family words, style words, seasons, genders,
concentrations and intensity. Odour notes come from the catalog's
DESCRIPTOR_FAMILY and material names from the catalog itself, read at run time.

Phrases are written as perfumers write them; `phrases()` splits them into words.
"""

from schemas.brief import Concentration, Gender, Season, Style
from schemas.material import Family as F

Mix = dict[F, float]

# A word that names one family. Plurals and adjectives are listed, not derived.
FAMILY_WORDS: dict[str, F] = {
    **dict.fromkeys(["citrus", "citrusy", "citric", "zesty", "zest", "hesperidic"], F.CITRUS),
    **dict.fromkeys(["aromatic", "aromatics", "herbal", "herbs", "herbaceous"], F.AROMATIC),
    **dict.fromkeys(["green", "greens", "grassy", "verdant", "green notes"], F.GREEN),
    **dict.fromkeys(
        ["floral", "florals", "flowery", "flower", "flowers", "blossom", "blossoms"], F.FLORAL
    ),
    **dict.fromkeys(["white floral", "white florals", "white flowers", "bouquet"], F.FLORAL),
    **dict.fromkeys(["fruity", "fruit", "fruits", "juicy"], F.FRUITY),
    **dict.fromkeys(["spicy", "spice", "spices", "spiced"], F.SPICY),
    **dict.fromkeys(["woody", "wood", "woods", "woodsy"], F.WOODY),
    **dict.fromkeys(
        ["amber", "ambery", "ambered", "oriental", "orientals", "resinous", "balsamic"], F.AMBER
    ),
    **dict.fromkeys(["musk", "musks", "musky"], F.MUSK),
    **dict.fromkeys(["gourmand", "gourmands", "edible"], F.GOURMAND),
    **dict.fromkeys(["leather", "leathery", "animalic", "animal", "suede"], F.LEATHER),
    **dict.fromkeys(
        ["aquatic", "marine", "ozonic", "oceanic", "watery", "aqueous", "sea", "ocean"],
        F.AQUATIC,
    ),
    **dict.fromkeys(["powdery", "powder", "talc"], F.POWDERY),
    **dict.fromkeys(["aldehydic", "aldehyde", "aldehydes"], F.ALDEHYDIC),
}

# Classic structures that are a blend of families; shares sum to 1.
STYLE_WORDS: dict[str, Mix] = {
    "chypre": {F.CITRUS: 0.3, F.WOODY: 0.4, F.FLORAL: 0.2, F.AMBER: 0.1},
    "fougere": {F.AROMATIC: 0.5, F.WOODY: 0.25, F.GOURMAND: 0.25},
    "barbershop": {F.AROMATIC: 0.5, F.WOODY: 0.25, F.GOURMAND: 0.25},
    "cologne style": {F.CITRUS: 0.6, F.AROMATIC: 0.4},
    "classic cologne": {F.CITRUS: 0.6, F.AROMATIC: 0.4},
    "soliflore": {F.FLORAL: 1.0},
    "single flower": {F.FLORAL: 1.0},
    "aldehydic floral": {F.FLORAL: 0.5, F.ALDEHYDIC: 0.4, F.POWDERY: 0.1},
    "floral aldehydic": {F.FLORAL: 0.5, F.ALDEHYDIC: 0.4, F.POWDERY: 0.1},
    "floral aldehyde": {F.FLORAL: 0.5, F.ALDEHYDIC: 0.4, F.POWDERY: 0.1},
}

# The structure each style word names (schemas.brief.Style), whose accord it brings.
STYLE_OF: dict[str, Style] = {
    "chypre": Style.CHYPRE,
    "fougere": Style.FOUGERE,
    "barbershop": Style.FOUGERE,
    "cologne style": Style.COLOGNE,
    "classic cologne": Style.COLOGNE,
    "soliflore": Style.SOLIFLORE,
    "single flower": Style.SOLIFLORE,
    "aldehydic floral": Style.ALDEHYDIC_FLORAL,
    "floral aldehydic": Style.ALDEHYDIC_FLORAL,
    "floral aldehyde": Style.ALDEHYDIC_FLORAL,
}

# Families that are, in a perfumer's hands, one classic accord: naming the family brings
# the accord ("a leather" is birch tar, isobutyl quinoline and castoreum together), as a
# style does, unless a style word is named too.
FAMILY_STYLE: dict[F, Style] = {
    F.AMBER: Style.AMBER,
    F.LEATHER: Style.LEATHER,
    F.MUSK: Style.MUSK,
    F.GOURMAND: Style.GOURMAND,
    F.AQUATIC: Style.MARINE,
}

# Mood words: they hint at families without naming them, so they weigh less and
# give way silently when the brief excludes one of their families.
MOOD_WORDS: dict[str, Mix] = {
    "fresh": {F.CITRUS: 0.6, F.GREEN: 0.2, F.AQUATIC: 0.2},
    "crisp": {F.CITRUS: 0.5, F.GREEN: 0.5},
    "cozy": {F.AMBER: 0.5, F.GOURMAND: 0.3, F.MUSK: 0.2},
    "cosy": {F.AMBER: 0.5, F.GOURMAND: 0.3, F.MUSK: 0.2},
    "sensual": {F.MUSK: 0.5, F.AMBER: 0.5},
    "sexy": {F.MUSK: 0.5, F.AMBER: 0.5},
    "dark": {F.WOODY: 0.5, F.AMBER: 0.3, F.LEATHER: 0.2},
    # Also catalog descriptors, but in a brief they describe a feel more than a note:
    # "soft powdery floral, no musk" is no contradiction.
    "soft": {F.MUSK: 0.5, F.POWDERY: 0.3, F.FLORAL: 0.2},
    "clean": {F.MUSK: 0.5, F.ALDEHYDIC: 0.3, F.CITRUS: 0.2},
    "warm": {F.AMBER: 0.6, F.SPICY: 0.2, F.GOURMAND: 0.2},
}

# Words that place a family or note in the pyramid ("woody base", "floral heart").
STRUCTURE_AFTER = frozenset(
    ["base", "heart", "top", "middle", "opening", "drydown", "accord", "core", "foundation"]
)
STRUCTURE_BEFORE = frozenset(["base", "heart", "top", "opening", "drydown", "core", "foundation"])

SEASON_WORDS: dict[str, Season] = {
    **dict.fromkeys(["spring", "springtime", "spring time"], Season.SPRING),
    **dict.fromkeys(
        ["summer", "summery", "summertime", "summer time", "hot weather", "warm weather"],
        Season.SUMMER,
    ),
    **dict.fromkeys(["autumn", "autumnal", "fall"], Season.AUTUMN),
    **dict.fromkeys(
        ["winter", "wintry", "wintery", "wintertime", "winter time", "cold weather"],
        Season.WINTER,
    ),
}

GENDER_WORDS: dict[str, Gender] = {
    **dict.fromkeys(
        [
            "for men",
            "for him",
            "masculine",
            "men",
            "men's",
            "mens",
            "man",
            "male",
            "homme",
            "pour homme",
            "gentleman",
            "gentlemen",
            "gents",
            "guy",
            "guys",
            "boy",
            "boys",
            # who a scent is for: "a gift for my husband"
            "husband",
            "boyfriend",
            "father",
            "dad",
            "groom",
        ],
        Gender.MASCULINE,
    ),
    **dict.fromkeys(
        [
            "for women",
            "for her",
            "feminine",
            "women",
            "women's",
            "womens",
            "woman",
            "female",
            "femme",
            "pour femme",
            "ladies",
            "lady",
            "girl",
            "girls",
            "wife",
            "girlfriend",
            "mother",
            "mum",
            "mom",
            "bride",
        ],
        Gender.FEMININE,
    ),
    **dict.fromkeys(
        ["unisex", "gender neutral", "genderless", "for everyone", "for anyone", "shared"],
        Gender.UNISEX,
    ),
}

CONCENTRATION_WORDS: dict[str, Concentration] = {
    **dict.fromkeys(["edc", "eau de cologne", "cologne"], Concentration.EDC),
    **dict.fromkeys(["edt", "eau de toilette", "toilette"], Concentration.EDT),
    **dict.fromkeys(["edp", "eau de parfum"], Concentration.EDP),
    **dict.fromkeys(
        ["parfum", "extrait", "extrait de parfum", "pure parfum", "perfume extract", "elixir"],
        Concentration.PARFUM,
    ),
}

CONCENTRATION_LABEL: dict[Concentration, str] = {
    Concentration.EDC: "EdC",
    Concentration.EDT: "EdT",
    Concentration.EDP: "EdP",
    Concentration.PARFUM: "Parfum",
}

# Intensity: what concentration a brief that names none should get.
INTENSITY_WORDS: dict[str, Concentration] = {
    **dict.fromkeys(
        ["very light", "ultra light", "barely there", "splash", "body mist"], Concentration.EDC
    ),
    **dict.fromkeys(
        [
            "light",
            "lighter",
            "subtle",
            "sheer",
            "airy",
            "delicate",
            "discreet",
            "understated",
            "skin scent",
            "close to the skin",
        ],
        Concentration.EDT,
    ),
    **dict.fromkeys(
        [
            "intense",
            "strong",
            "long lasting",
            "lasting",
            "powerful",
            "potent",
            "heavy",
            "rich",
            "bold",
            "tenacious",
            "beast mode",
        ],
        Concentration.PARFUM,
    ),
}
# Negating an intensity word ("not too heavy") asks for the other side.
NEGATED_INTENSITY: dict[Concentration, Concentration] = {
    Concentration.EDC: Concentration.EDP,
    Concentration.EDT: Concentration.PARFUM,
    Concentration.PARFUM: Concentration.EDT,
}

# Weak family priors, used only when the text itself names few families.
SEASON_PRIORS: dict[Season, Mix] = {
    Season.SPRING: {F.FLORAL: 0.5, F.GREEN: 0.5},
    Season.SUMMER: {F.CITRUS: 0.4, F.AQUATIC: 0.3, F.GREEN: 0.3},
    Season.AUTUMN: {F.WOODY: 0.4, F.SPICY: 0.3, F.AMBER: 0.3},
    Season.WINTER: {F.AMBER: 0.4, F.GOURMAND: 0.3, F.SPICY: 0.3},
}
GENDER_PRIORS: dict[Gender, Mix] = {
    Gender.MASCULINE: {F.WOODY: 0.5, F.AROMATIC: 0.5},
    Gender.FEMININE: {F.FLORAL: 0.5, F.FRUITY: 0.25, F.POWDERY: 0.25},
    Gender.UNISEX: {},
}

MINIMALIST_WORDS = frozenset(["minimalist", "minimalistic", "minimal", "pared back", "pared down"])
MINIMALIST_MAX_MATERIALS = 6


def phrase(text: str) -> tuple[str, ...]:
    """A lexicon phrase as the word tuple the tokenizer produces."""
    return tuple(text.replace("-", " ").split())
