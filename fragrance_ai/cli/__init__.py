"""The `fragrance-ai` command: one module per subcommand, each with `register(subparsers)`.

To add a subcommand, write a module whose `register` adds its parser and sets
`run=<function(args) -> int>` as a default, then list the module in SUBCOMMANDS.
"""

import argparse
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from fragrance_ai.cli import formulate, interpret, keys, lag, logs, programs, remote
from fragrance_ai.client import ApiError
from fragrance_ai.config_loader import SettingsError
from fragrance_ai.interpreter.errors import BriefError
from fragrance_ai.llm.errors import LLMError
from fragrance_ai.optimiser.errors import FormulationError

SUBCOMMANDS = (formulate, interpret, programs, keys, lag, remote, logs)

USAGE_ERROR = 2
REQUEST_FAILED = 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fragrance-ai", description="Perfume formulas from a perfumer's brief."
    )
    subparsers = parser.add_subparsers(title="commands", dest="command", required=True)
    for module in SUBCOMMANDS:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; a brief that cannot be read or met, or a model that cannot be
    loaded, prints one line to stderr and returns 2; a request to the API that fails, or a
    job that fails, prints one line and returns 1."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except ApiError as error:
        print(f"fragrance-ai: {error}", file=sys.stderr)
        return REQUEST_FAILED
    except (BriefError, FormulationError, SettingsError, LLMError) as error:
        print(f"fragrance-ai: {error}", file=sys.stderr)
    except ValidationError as error:
        first = error.errors()[0]
        print(f"fragrance-ai: invalid brief: {first['msg']}", file=sys.stderr)
    return USAGE_ERROR
