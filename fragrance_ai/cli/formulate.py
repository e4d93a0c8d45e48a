"""`fragrance-ai formulate "<brief>"`: interpret a brief and print its optimised formula."""

import argparse
from typing import Any

from fragrance_ai.cli.report import render_brief, render_certificate, render_formula
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
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # imported here so that every other subcommand starts without the interpreter's lexicon
    from fragrance_ai.interpreter import interpret

    interpretation = interpret(args.brief)
    result = optimise(interpretation.brief)
    if args.json:
        print(result.formula.model_dump_json(indent=2))
    else:
        print(render_brief(interpretation))
        print()
        print(render_formula(result.formula))
        if args.certificate:
            print()
            print(render_certificate(result.formula))
    return 0
