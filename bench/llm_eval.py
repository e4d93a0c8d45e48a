"""Per-field accuracy of the rule-based interpreter, each enabled model and the ensemble.

    python bench/llm_eval.py [--env development] [--limit N] [--concurrency 8]

Families and notes are scored as micro F1 over sets; categorical fields and the budget
(within 1%) as accuracy; material lists and excluded families as exact set matches.
A model reply that never validated counts as wrong on every field.
"""

import argparse
import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path

from fragrance_ai.config_loader import load_llm_config, load_settings
from fragrance_ai.interpreter import interpret
from fragrance_ai.llm import EnsembleResult, parse_ensemble_config
from fragrance_ai.llm.factory import load_ensemble
from schemas.brief import Brief

DATA = Path(__file__).parents[1] / "tests" / "data" / "llm_eval_briefs.jsonl"
EXACT_FIELDS = ("concentration", "season", "gender")
SET_FIELDS = ("excluded_families", "wanted_materials", "excluded_materials")
F1_FIELDS: dict[str, Callable[[Brief], set[str]]] = {
    "families": lambda b: {str(f) for f, w in b.family_weights.items() if w > 0},
    "wanted_notes": lambda b: set(b.wanted_notes),
    "excluded_notes": lambda b: set(b.excluded_notes),
}


def _budget_matches(got: float | None, want: float | None) -> bool:
    if got is None or want is None:
        return got is want
    return abs(got - want) <= 0.01 * want


class Scorecard:
    """Counts for one source over the whole set."""

    def __init__(self) -> None:
        self.n = 0
        self.valid = 0
        self.correct: dict[str, int] = {f: 0 for f in (*EXACT_FIELDS, "budget", *SET_FIELDS)}
        self.f1_counts = {f: [0, 0, 0] for f in F1_FIELDS}  # true pos, predicted, expected

    def add(self, got: Brief | None, want: Brief) -> None:
        self.n += 1
        for name, as_set in F1_FIELDS.items():
            predicted, expected = (as_set(got) if got else set()), as_set(want)
            counts = self.f1_counts[name]
            counts[0] += len(predicted & expected)
            counts[1] += len(predicted)
            counts[2] += len(expected)
        if got is None:
            return
        self.valid += 1
        for field in EXACT_FIELDS:
            self.correct[field] += getattr(got, field) == getattr(want, field)
        self.correct["budget"] += _budget_matches(got.budget_per_kg, want.budget_per_kg)
        for field in SET_FIELDS:
            self.correct[field] += set(getattr(got, field)) == set(getattr(want, field))

    def row(self) -> dict[str, float]:
        row = {"valid": self.valid / self.n}
        row.update({f: c / self.n for f, c in self.correct.items()})
        for name, (tp, predicted, expected) in self.f1_counts.items():
            row[f"{name}_f1"] = 2 * tp / (predicted + expected) if predicted + expected else 1.0
        return row


def _rule_based(text: str) -> Brief | None:
    try:
        return interpret(text).brief
    except ValueError:
        return None


async def _interpret_all(
    texts: list[str], env: str, concurrency: int
) -> tuple[list[EnsembleResult], float]:
    config = parse_ensemble_config(load_llm_config(load_settings(env)))
    ensemble = await asyncio.to_thread(load_ensemble, config)
    gate = asyncio.Semaphore(concurrency)

    async def one(text: str) -> EnsembleResult:
        async with gate:
            return await ensemble.interpret(text)

    started = time.perf_counter()
    try:
        results = await asyncio.gather(*(one(t) for t in texts))
    finally:
        await ensemble.aclose()
    return list(results), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="development")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--out", type=Path, default=None, help="also write rows and replies as JSON"
    )
    args = parser.parse_args()

    cases = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    cases = cases[: args.limit]
    texts = [c["text"] for c in cases]
    expected = [Brief.model_validate(c["expected"]) for c in cases]
    results, seconds = asyncio.run(_interpret_all(texts, args.env, args.concurrency))

    cards: dict[str, Scorecard] = {"rule_based": Scorecard()}
    for text, want, result in zip(texts, expected, results, strict=True):
        cards["rule_based"].add(_rule_based(text), want)
        for outcome in result.outcomes:
            cards.setdefault(outcome.model, Scorecard()).add(outcome.brief, want)
        cards.setdefault("ensemble", Scorecard()).add(result.brief, want)
    rows = {name: card.row() for name, card in cards.items()}
    _print_table(rows, len(cases), seconds)
    if args.out:
        replies = [[o.model_dump(mode="json") for o in r.outcomes] for r in results]
        args.out.write_text(json.dumps({"rows": rows, "replies": replies}, indent=1))


def _print_table(rows: dict[str, dict[str, float]], n: int, seconds: float) -> None:
    columns = list(next(iter(rows.values())))
    print(f"{n} briefs, ensemble wall time {seconds:.1f} s")
    print(f"{'source':<12}" + "".join(f"{c[:13]:>14}" for c in columns))
    for name, row in rows.items():
        print(f"{name:<12}" + "".join(f"{row[c]:>14.2f}" for c in columns))


if __name__ == "__main__":
    main()
