"""A perfumer's checklist: briefs in plain words, each with what its formula must show
(the materials a perfumer would look for, the style's shape), formulated by the
reference optimiser from the shipped catalog, facts, accords and IFRA tables.

Every formula must also keep every material within its typical maximum use, meet IFRA
by substance and give every named material, note and style an effective dose."""

from dataclasses import dataclass, field

import pytest

from fragrance_ai.interpreter import interpret
from fragrance_ai.optimiser import optimise
from tests.fixtures.dosing import assert_within_use_levels
from tests.fixtures.regulation import assert_compliant_within_margin

pytestmark = pytest.mark.slow

ROSE = {
    "rose_oil",
    "phenylethyl_alcohol",
    "citronellol",
    "geraniol",
    "rose_oxide",
    "beta_damascone",
}
JASMINE = {"jasmine_absolute", "hedione", "benzyl_acetate", "cis_jasmone", "indole"}
CITRUS = {"bergamot_oil_fcf", "bergamot_oil", "lemon_oil", "sweet_orange_oil", "mandarin_oil",
          "grapefruit_oil", "lime_oil_expressed", "lime_oil_distilled", "petitgrain_oil",
          "neroli_oil", "yuzu_oil", "litsea_cubeba_oil", "bitter_orange_oil"}  # fmt: skip
MOSS = {"oakmoss_absolute", "treemoss_absolute", "evernyl"}
VANILLA = {"vanillin", "ethyl_vanillin", "vanilla_absolute", "benzoin_resinoid", "tonka_absolute"}
LAVENDER = {"lavender_oil", "lavandin_oil"}
MUSKS = {"galaxolide", "ethylene_brassylate", "habanolide", "helvetolide", "muscenone",
         "exaltolide", "ambrettolide", "tonalide", "cashmeran", "muscone"}  # fmt: skip
WOODS = {"iso_e_super", "vetiver_oil", "cedarwood_virginia_oil", "cedarwood_texas_oil",
         "cedarwood_atlas_oil", "sandalwood_oil", "javanol", "ebanol", "sandalore",
         "polysantol", "bacdanol", "patchouli_oil", "guaiac_wood_oil", "timberol",
         "cedryl_acetate", "vertenex", "methyl_cedryl_ketone"}  # fmt: skip
INCENSE = {"olibanum_oil", "myrrh_oil", "elemi_oil", "labdanum_absolute", "cypriol_oil"}
# Safraleine too: the catalog files it in the leather family (saffron, suede, leather).
LEATHER = {"suede_base", "castoreum_base", "birch_tar_oil", "isobutyl_quinoline", "cade_oil",
           "safraleine"}  # fmt: skip
MARINE = {"calone", "helional", "floralozone", "cascalone", "seaweed_absolute", "melonal"}


@dataclass(frozen=True)
class Check:
    brief: str
    must: tuple[tuple[set[str], int], ...] = ()
    """Groups of materials and how many of each the formula must hold."""
    top_at_least: float = 0.0
    base_at_least: float = 0.0
    materials: tuple[str, ...] = field(default=())
    """Named catalog materials that must be in the formula."""


CHECKLIST = (
    Check("a rose soliflore", must=((ROSE, 3),)),
    Check("a jasmine soliflore, white and narcotic", must=((JASMINE, 3),)),
    Check("a classic cologne with bergamot and neroli", must=((CITRUS, 4),), top_at_least=50,
          materials=("neroli_oil",)),
    Check("a chypre: bergamot, rose, oakmoss, patchouli and labdanum",
          must=((MOSS, 1), (ROSE, 2), (CITRUS, 1)), materials=("patchouli_oil", "oakmoss_absolute")),
    Check("a lavender fougere with oakmoss and tonka", must=((LAVENDER, 1), (MOSS, 1)),
          materials=("oakmoss_absolute",)),
    Check("a barbershop fougere for men", must=((LAVENDER, 1),)),
    Check("a vanilla gourmand for winter", must=((VANILLA, 3),)),
    Check("a warm amber oriental with labdanum and vanilla", must=((VANILLA, 1),),
          materials=("labdanum_absolute",)),
    Check("an incense accord, resinous and smoky", must=((INCENSE, 3),)),
    Check("a leather fragrance, dark and smoky", must=((LEATHER, 3),), base_at_least=40),
    Check("a marine aquatic scent for summer", must=((MARINE, 1),)),
    Check("a fresh citrus summer scent for men, woody base", must=((CITRUS, 2), (WOODS, 1))),
    Check("a clean white musk, soft and skin-like", must=((MUSKS, 2),)),
    Check("an oud and rose parfum", must=((ROSE, 2),), base_at_least=25),
    Check("a lily of the valley muguet, fresh and green",
          must=(({"hydroxycitronellal", "florol", "phenoxanol", "phenylethyl_alcohol"}, 2),)),
    Check("orange blossom and neroli, bright and clean",
          must=(({"neroli_oil", "petitgrain_oil", "methyl_anthranilate", "linalool"}, 3),)),
    Check("a woody vetiver and cedar for autumn", materials=("vetiver_oil",),
          must=((WOODS, 2),)),
    Check("a sandalwood and iris powdery skin scent", must=((WOODS, 1),)),
    Check("a green galbanum and violet leaf spring fragrance", materials=("galbanum_oil",)),
    Check("a spicy clove, cinnamon and carnation oriental",
          must=(({"clove_bud_oil", "eugenol", "cinnamon_leaf_oil", "cinnamal", "isoeugenol"}, 2),)),
    Check("a fig and green tea unisex scent"),
    Check("a peach and apricot fruity floral for spring"),
    Check("a saffron and oud leather, masculine", must=((LEATHER, 1),)),
    Check("a patchouli chypre with rose", must=((ROSE, 2),), materials=("patchouli_oil",)),
    Check("a lemon and basil eau de toilette", materials=("lemon_oil",)),
    Check("a grapefruit and vetiver summer cologne", materials=("grapefruit_oil", "vetiver_oil")),
    Check("a tuberose and jasmine evening parfum", must=((JASMINE, 2),)),
    Check("a cozy tonka and coffee gourmand", materials=("tonka_absolute",)),
    Check("an aldehydic floral in the classic style",
          must=(({"aldehyde_c10", "aldehyde_c11_undecylenic", "aldehyde_c11_undecanal",
                  "aldehyde_c12_lauric", "aldehyde_c12_mna", "aldehyde_c8", "aldehyde_c9"}, 1),)),
    Check("a rose and geranium body lotion", must=((ROSE, 2),)),
    Check("a lavender bar soap, herbal and clean", must=((LAVENDER, 1),)),
    Check("a fresh citrus shower gel with lemon and lime", must=((CITRUS, 2),)),
    Check("a scented candle with cinnamon, clove and orange"),
    Check("a woody amber candle with vanilla", must=((VANILLA, 1),)),
    Check("a fabric softener, soft powdery musk", must=((MUSKS, 1),)),
    Check("a hair mist with jasmine and musk", must=((JASMINE, 2), (MUSKS, 1))),
    Check("an aftershave with lavender, lime and vetiver", must=((LAVENDER, 1),),
          materials=("vetiver_oil",)),
    Check("a mint and eucalyptus room spray",
          must=(({"peppermint_oil", "spearmint_oil", "menthol", "eucalyptus_oil", "eucalyptol"}, 2),)),
    Check("a black pepper and cardamom spicy woody for men",
          materials=("black_pepper_oil", "cardamom_oil")),
    Check("a mimosa and heliotrope powdery feminine scent"),
)  # fmt: skip


@pytest.mark.parametrize(
    "check",
    [c for c in CHECKLIST],
    ids=[c.brief for c in CHECKLIST],
)
def test_the_formula_shows_what_a_perfumer_looks_for(check: Check) -> None:
    brief = interpret(check.brief).brief
    formula = optimise(brief).formula
    present = {line.material_id for line in formula.lines}
    for group, least in check.must:
        assert len(present & group) >= least, (sorted(present & group), least, sorted(present))
    assert set(check.materials) <= present, sorted(present)
    assert formula.pyramid.top >= check.top_at_least
    assert formula.pyramid.base >= check.base_at_least
    assert_within_use_levels(formula)
    assert_compliant_within_margin(formula, brief)
    missed = [use.item for use in formula.named if not (use.honoured or use.held_at_cap)]
    assert not missed, f"named but not at an effective dose: {missed}"
