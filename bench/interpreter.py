"""The rule-based interpreter's time per brief, against a baseline that builds its
lexicon again for every brief (as it did before the lexicon was kept per catalog).

Both legs read the labelled briefs of tests/data/llm_eval_briefs.jsonl, warmed up
once, then `--rounds` times each, one leg after the other; the ratio is printed.

Run: python bench/interpreter.py [--rounds 10]
"""

import argparse
import json
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, suppress
from pathlib import Path
from unittest import mock

from fragrance_ai.interpreter import interpret
from fragrance_ai.interpreter import interpreter as module
from fragrance_ai.interpreter.errors import BriefError

BRIEFS = Path(__file__).parents[1] / "tests" / "data" / "llm_eval_briefs.jsonl"


def read_all(texts: list[str]) -> None:
    for text in texts:
        # Gibberish and off-topic briefs are refused: that is part of the work.
        with suppress(BriefError):
            interpret(text)


def ms_per_brief(
    texts: list[str], rounds: int, leg: Callable[[], AbstractContextManager[object]]
) -> float:
    with leg():
        read_all(texts)
        started = time.perf_counter()
        for _ in range(rounds):
            read_all(texts)
    return (time.perf_counter() - started) * 1000 / (rounds * len(texts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    texts = [json.loads(line)["text"] for line in BRIEFS.read_text().splitlines()]
    unwrapped = module._lexicon.__wrapped__
    legs: dict[str, Callable[[], AbstractContextManager[object]]] = {
        "lexicon built per brief": lambda: mock.patch.object(module, "_lexicon", unwrapped),
        "lexicon kept per catalog": lambda: mock.patch.object(module, "_lexicon", module._lexicon),
    }
    figures = {name: ms_per_brief(texts, args.rounds, leg) for name, leg in legs.items()}
    for name, ms in figures.items():
        print(f"{name:<28} {ms:6.2f} ms per brief")
    baseline, kept = figures.values()
    print(f"{'ratio baseline / kept':<28} {baseline / kept:6.2f}x")


if __name__ == "__main__":
    main()
