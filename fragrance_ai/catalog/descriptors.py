"""Odour descriptors, each tied to the olfactive family it evokes.

Every descriptor of a catalog row must be listed here: the objective uses the
families of a material's descriptors to shade its odour profile, and the brief
interpreter reads the same words as wanted or excluded notes.
"""

from schemas.material import Family

DESCRIPTOR_FAMILY: dict[str, Family] = {
    # citrus
    "bergamot": Family.CITRUS,
    "lemon": Family.CITRUS,
    "orange": Family.CITRUS,
    "fresh": Family.CITRUS,
    # aromatic
    "lavender": Family.AROMATIC,
    "herbal": Family.AROMATIC,
    # green
    "green": Family.GREEN,
    "leafy": Family.GREEN,
    # floral
    "jasmine": Family.FLORAL,
    "rose": Family.FLORAL,
    "floral": Family.FLORAL,
    "transparent": Family.FLORAL,
    # fruity
    "fruity": Family.FRUITY,
    # spicy
    "spicy": Family.SPICY,
    # woody
    "woody": Family.WOODY,
    "cedar": Family.WOODY,
    "vetiver": Family.WOODY,
    "dry": Family.WOODY,
    "smoky": Family.WOODY,
    "earthy": Family.WOODY,
    # amber
    "amber": Family.AMBER,
    "ambergris": Family.AMBER,
    "warm": Family.AMBER,
    # musk
    "musky": Family.MUSK,
    "clean": Family.MUSK,
    "soft": Family.MUSK,
    # gourmand
    "vanilla": Family.GOURMAND,
    "sweet": Family.GOURMAND,
    "tonka": Family.GOURMAND,
    "hay": Family.GOURMAND,
    # leather
    "leather": Family.LEATHER,
    "animalic": Family.LEATHER,
    # aquatic
    "marine": Family.AQUATIC,
    "ozonic": Family.AQUATIC,
    # powdery
    "powdery": Family.POWDERY,
    # aldehydic
    "aldehydic": Family.ALDEHYDIC,
    "waxy": Family.ALDEHYDIC,
}
