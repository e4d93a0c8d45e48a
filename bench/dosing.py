"""Doses over varied briefs: use levels, named materials and notes, cost.

Each brief of bench/compliance.py is read by the rule-based interpreter and formulated
by the reference optimiser (and the GA with --ga). Every line is checked against its
material's typical maximum use from the shipped facts, apart from the code that made
it; each material or note the brief names is checked for an effective dose. Prints one
row per brief, then the shares and the cost range.

Run: python bench/dosing.py [--ga]
"""

import argparse
import sys
import time
from pathlib import Path

from fragrance_ai.catalog import load_catalog
from fragrance_ai.interpreter import interpret
from fragrance_ai.interpreter.errors import BriefError
from fragrance_ai.optimiser import FormulationError, optimise
from schemas.brief import Brief
from schemas.formula import Formula

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.compliance import BRIEFS


def formulate(brief: Brief, use_ga: bool) -> Formula:
    if use_ga:
        from fragrance_ai.optimiser.ga import optimise_with_ga

        return optimise_with_ga(brief).best
    return optimise(brief).formula


def over_use(formula: Formula) -> list[str]:
    catalog = load_catalog()
    over = []
    for line in formula.lines:
        most = catalog.get(line.material_id).max_use_percent
        if most is not None and line.percent > most + 0.005:
            over.append(f"{line.material_id} {line.percent:.2f}% > {most:g}%")
    return over


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ga", action="store_true", help="formulate with the GA too")
    args = parser.parse_args()
    for use_ga in (False, True) if args.ga else (False,):
        started = time.perf_counter()
        made = within = named = honoured = capped = compliant = 0
        costs: list[float] = []
        print(f"\n{'GA' if use_ga else 'reference'} optimiser")
        for text in BRIEFS:
            try:
                brief = interpret(text).brief
                formula = formulate(brief, use_ga)
            except (BriefError, FormulationError) as error:
                print(f"  no formula     {text[:56]:<56}  {error}")
                continue
            made += 1
            over = over_use(formula)
            within += not over
            compliant += formula.ifra_compliant
            named += len(formula.named)
            honoured += sum(use.honoured for use in formula.named)
            capped += sum(use.held_at_cap for use in formula.named)
            costs.append(formula.cost_per_kg_concentrate)
            missed = [u.item for u in formula.named if not (u.honoured or u.held_at_cap)]
            at_cap = [u.item for u in formula.named if u.held_at_cap]
            print(
                f"  {'within' if not over else 'OVER':<6} ${formula.cost_per_kg_concentrate:>8.2f}/kg "
                f"{text[:56]:<56}  named {len(formula.named) - len(missed)}/{len(formula.named)}"
                + (f", at its IFRA or use cap: {', '.join(at_cap)}" if at_cap else "")
                + (f", missed {', '.join(missed)}" if missed else "")
                + (f", over: {'; '.join(over)}" if over else "")
            )
        print(
            f"  {made} formulas of {len(BRIEFS)} briefs: {within} within use levels, "
            f"{compliant} IFRA compliant, {honoured} of {named} named items at an effective "
            f"dose and {capped} held at the cap IFRA or their use level sets; cost ${min(costs):.2f}-${max(costs):.2f}/kg (median "
            f"${sorted(costs)[len(costs) // 2]:.2f}); {time.perf_counter() - started:.1f} s"
        )


if __name__ == "__main__":
    main()
