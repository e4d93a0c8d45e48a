"""IFRA compliance by substance over varied briefs and product categories.

Each brief is read by the rule-based interpreter and formulated by the reference
optimiser (and the GA with --ga); every formula is then checked line by line from the
shipped tables, apart from the code that made it. Prints one row per brief and the
share compliant within the safety margin.

Run: python bench/compliance.py [--ga]
"""

import argparse
import sys
import time
from pathlib import Path

from fragrance_ai.interpreter import interpret
from fragrance_ai.interpreter.errors import BriefError
from fragrance_ai.optimiser import FormulationError, optimise
from fragrance_ai.regulation import StandardType, load_regulation

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests' checker
from tests.fixtures.regulation import substance_amounts

BRIEFS = (
    "a classic eau de cologne with bergamot, lemon and neroli",
    "a fresh citrus summer scent for men, woody base, under $40/kg",
    "an oud and rose parfum, dark and resinous",
    "a vanilla and caramel gourmand eau de parfum for winter",
    "a lavender fougere with oakmoss, tonka and geranium",
    "a chypre: bergamot over rose and jasmine, oakmoss, patchouli and labdanum",
    "a white floral with tuberose, jasmine and orange blossom",
    "a powdery iris and violet feminine scent",
    "a green galbanum and violet leaf spring fragrance",
    "a spicy clove, cinnamon and carnation oriental",
    "a marine aquatic fragrance with calone and sea salt",
    "a leather and birch tar fragrance, smoky",
    "an incense and myrrh church accord, resinous",
    "a clean white musk, soft and skin-like",
    "an aldehydic floral in the classic style",
    "a lemongrass and litsea citrus with ginger",
    "a fig and green tea unisex scent",
    "a peach and apricot fruity floral for spring",
    "a saffron and oud leather, masculine",
    "a cumin and coriander spicy woody",
    "a fresh citrus shower gel with lemon and lime",
    "a lavender bar soap, herbal and clean",
    "a rose and geranium body lotion",
    "a soft musky hand cream",
    "a baby lotion with a gentle powdery note",
    "a fresh aquatic deodorant spray for men",
    "an antiperspirant with a clean citrus scent",
    "a shampoo with green apple and pear",
    "a coconut and vanilla conditioner",
    "a laundry detergent with a fresh floral musk",
    "a fabric softener, soft powdery musk",
    "a scented candle with cinnamon, clove and orange",
    "a woody amber candle with vanilla",
    "a reed diffuser with fig and cedar",
    "a room spray of lemon verbena and mint",
    "a citrus dishwashing liquid",
    "a lip balm with a vanilla and strawberry flavour note",
    "a hair mist with jasmine and musk",
    "a mouthwash with mint and anise",
    "an aftershave with lavender, lime and vetiver",
    "a body oil with ylang ylang and sandalwood",
    "a face cream with a light rose note",
    "a bath foam with eucalyptus and rosemary",
    "an incense sticks blend of sandalwood and frankincense",
)


def compliant(text: str, use_ga: bool) -> tuple[str, bool | None, str]:
    try:
        brief = interpret(text).brief
    except BriefError as error:
        return "-", None, f"refused: {error}"
    try:
        if use_ga:
            from fragrance_ai.optimiser.ga import optimise_with_ga

            formula = optimise_with_ga(brief).best
        else:
            formula = optimise(brief).formula
    except (BriefError, FormulationError) as error:
        return brief.product.value, None, f"refused: {error}"
    worst, worst_ratio = "", 0.0
    ok = formula.ifra_compliant
    for standard_id, (amount, limit) in substance_amounts(formula, brief).items():
        if limit is None:
            continue
        ratio = amount / (limit * brief.ifra_safety_margin) if limit else float("inf")
        if ratio > worst_ratio:
            worst, worst_ratio = standard_id, ratio
        ok = ok and ratio <= 1 + 1e-6
    return brief.product.value, ok, f"closest: {worst} at {worst_ratio:.3f} of the margin"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ga", action="store_true", help="formulate with the GA too")
    args = parser.parse_args()
    regulation = load_regulation()
    restrictive = [s for s in regulation.standards if s.type is not StandardType.SPECIFICATION]
    members = {cas for s in regulation.standards for cas in s.members}
    naturals = {c.material_id for c in regulation.constituents}
    print(
        f"{len(regulation.standards)} standards ({len(restrictive)} with limits), "
        f"{len(members)} substances by CAS, {len(naturals)} materials with constituents, "
        f"{len(regulation.allergens)} EU allergen entries"
    )
    for use_ga in (False, True) if args.ga else (False,):
        started, results = time.perf_counter(), []
        print(f"\n{'GA' if use_ga else 'reference'} optimiser")
        for text in BRIEFS:
            product, ok, detail = compliant(text, use_ga)
            results.append(ok)
            verdict = {True: "compliant", False: "NOT COMPLIANT", None: "no formula"}[ok]
            print(f"  {verdict:<13} {product:<18} {text[:52]:<52}  {detail}")
        made = [r for r in results if r is not None]
        print(
            f"  {sum(made)} of {len(made)} formulas compliant by substance within the margin "
            f"({len(results) - len(made)} briefs refused), {time.perf_counter() - started:.1f} s"
        )


if __name__ == "__main__":
    main()
