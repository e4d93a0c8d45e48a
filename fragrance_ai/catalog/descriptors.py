"""Odour descriptors, each tied to the olfactive family it evokes.

Every descriptor of a catalog row must be listed here: the objective uses the
families of a material's descriptors to shade its odour profile, and the brief
interpreter reads the same words as wanted or excluded notes. The words are the
ones a perfumer writes in a brief: single lowercase words, hyphenated when two.
"""

from schemas.material import Family

_WORDS_BY_FAMILY: dict[Family, str] = {
    Family.CITRUS: "bergamot lemon orange fresh mandarin grapefruit lime neroli petitgrain"
    " yuzu zesty verbena",
    Family.AROMATIC: "lavender herbal mint basil rosemary sage thyme camphor juniper fougere",
    Family.GREEN: "green leafy grassy galbanum violet-leaf cucumber fig tea",
    Family.FLORAL: "jasmine rose floral transparent violet tuberose ylang lily muguet magnolia"
    " orange-blossom peony freesia geranium lilac honeysuckle osmanthus hyacinth carnation"
    " gardenia",
    Family.FRUITY: "fruity juicy peach apricot apple pear plum cherry blackcurrant cassis"
    " raspberry strawberry berry pineapple coconut melon rhubarb",
    Family.SPICY: "spicy pepper pink-pepper cinnamon clove cardamom saffron ginger nutmeg cumin"
    " coriander anise",
    Family.WOODY: "woody cedar vetiver sandalwood patchouli oud guaiac pine moss dry smoky earthy",
    Family.AMBER: "amber ambergris warm labdanum benzoin balsamic resinous incense myrrh tobacco",
    Family.MUSK: "musky clean soft skin ambrette",
    Family.GOURMAND: "vanilla sweet tonka hay honey caramel chocolate coffee almond creamy milky",
    Family.LEATHER: "leather suede animalic indolic birch",
    Family.AQUATIC: "marine sea salty ozonic watery rain mineral",
    Family.POWDERY: "powdery iris orris heliotrope mimosa",
    Family.ALDEHYDIC: "aldehydic waxy soapy metallic",
}

DESCRIPTOR_FAMILY: dict[str, Family] = {
    word: family for family, words in _WORDS_BY_FAMILY.items() for word in words.split()
}
