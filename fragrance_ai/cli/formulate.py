"""`fragrance-ai formulate "<brief>"`: interpret a brief and print its optimised formula."""

import argparse
from typing import Any

from fragrance_ai.cli.report import render_batch, render_brief, render_certificate, render_formula
from fragrance_ai.objective.assemble import DEFAULT_BATCH_GRAMS, with_batch
from fragrance_ai.optimiser import optimise


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "formulate",
        help="turn a brief in plain words into a formula, offline",
        description="Interpret a brief, optimise a formula for it and print both.",
    )
    parser.add_argument(
        "brief", help='e.g. "a fresh citrus summer scent for men, woody base, under $40/kg"'
    )
    parser.add_argument("--json", action="store_true", help="print only the Formula as JSON")
    parser.add_argument(
        "--certificate",
        action="store_true",
        help="also print the IFRA certificate: the most of this concentrate allowed per category",
    )
    parser.add_argument(
        "--batch-grams",
        type=_grams,
        default=DEFAULT_BATCH_GRAMS,
        metavar="G",
        help=f"grams of concentrate for the batch sheet (default {DEFAULT_BATCH_GRAMS:g})",
    )
    parser.set_defaults(run=run)


def _grams(text: str) -> float:
    try:
        grams = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of grams: {text!r}") from None
    if not 0 < grams <= 1_000_000:
        raise argparse.ArgumentTypeError(
            f"a batch weighs more than 0 g and at most 1 t, got {text}"
        )
    return grams


def run(args: argparse.Namespace) -> int:
    # imported here so that every other subcommand starts without the interpreter's lexicon
    from fragrance_ai.interpreter import interpret

    interpretation = interpret(args.brief)
    formula = with_batch(optimise(interpretation.brief).formula, args.batch_grams)
    if args.json:
        print(formula.model_dump_json(indent=2))
    else:
        print(render_brief(interpretation))
        print()
        print(render_formula(formula))
        print()
        print(render_batch(formula))
        if args.certificate:
            print()
            print(render_certificate(formula))
    return 0
