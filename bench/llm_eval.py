"""Per-field accuracy of the rule-based interpreter, each enabled model and the ensemble.

    python bench/llm_eval.py [--env development] [--limit N] [--concurrency 8]
        [--out replies.json] [--replies replies.json | --extend replies.json] [--calibrate]

Families and notes are scored as micro F1 over sets; categorical fields and the budget
(within 1%) as accuracy; material lists and excluded families as exact set matches.
A model reply that never validated counts as wrong on every field.

Rows: `ensemble` combines with the evidence stored in the settings; `ensemble_cv`
recalibrates on four fifths of the briefs and combines the fifth left out, five times,
so it shows what calibration does on briefs it has not seen. `--replies` scores the
replies of an earlier `--out` instead of asking the models again; `--extend` scores them
too, and asks the models only for the briefs added to the set since. `--calibrate` prints
the evidence fitted on every brief, with its provenance, as settings to paste. The
provenance names the commit, with "-dirty" when the tree held changes not yet committed:
a change to the rules lands in one commit with the evidence refitted to it.
"""

import argparse
import asyncio
import hashlib
import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from fragrance_ai.config_loader import load_llm_config, load_settings
from fragrance_ai.interpreter import interpret
from fragrance_ai.interpreter.errors import BriefError
from fragrance_ai.llm import (
    EnsembleConfig,
    ModelOutcome,
    combine_outcomes,
    parse_ensemble_config,
)
from fragrance_ai.llm.calibration import Calibration, LabelledReading, combine_case, fit
from fragrance_ai.llm.service import load_ensemble
from schemas.brief import Brief, Interpretation

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


async def _ask_models(
    texts: list[str], config: EnsembleConfig, concurrency: int
) -> tuple[list[tuple[ModelOutcome, ...]], float]:
    ensemble = await asyncio.to_thread(load_ensemble, config)
    gate = asyncio.Semaphore(concurrency)

    async def one(text: str) -> tuple[ModelOutcome, ...]:
        async with gate:
            try:
                return (await ensemble.interpret(text)).outcomes
            except BriefError:  # refused by the rules: no model was asked
                return ()

    started = time.perf_counter()
    try:
        outcomes = await asyncio.gather(*(one(t) for t in texts))
    finally:
        await ensemble.aclose()
    return list(outcomes), time.perf_counter() - started


def _load_replies(path: Path) -> list[tuple[ModelOutcome, ...]]:
    replies = json.loads(path.read_text())["replies"]
    return [tuple(ModelOutcome.model_validate(o) for o in brief) for brief in replies]


def _cross_validated(readings: list[LabelledReading | None], folds: int = 5) -> list[Brief | None]:
    """Each brief combined with evidence fitted on the folds it is not in."""
    combined: list[Brief | None] = [None] * len(readings)
    for fold in range(folds):
        train = [r for i, r in enumerate(readings) if r is not None and i % folds != fold]
        calibration = fit(train)
        for i, reading in enumerate(readings):
            if reading is not None and i % folds == fold:
                combined[i] = combine_case(reading, calibration)
    return combined


def main() -> None:
    args = _arguments()
    commit = subprocess.run(
        ["git", "describe", "--always", "--dirty"], capture_output=True, text=True, check=False
    ).stdout.strip()
    labelled = f"{DATA.name} sha256 {hashlib.sha256(DATA.read_bytes()).hexdigest()}"
    cases = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    cases = cases[: args.limit]
    texts = [c["text"] for c in cases]
    expected = [Brief.model_validate(c["expected"]) for c in cases]
    config = parse_ensemble_config(load_llm_config(load_settings(args.env)))
    earlier = args.replies or args.extend
    outcomes = _load_replies(earlier)[: len(cases)] if earlier else []
    seconds = None
    if not args.replies and len(outcomes) < len(texts):  # nothing to ask: load no model
        fresh, seconds = asyncio.run(_ask_models(texts[len(outcomes) :], config, args.concurrency))
        outcomes += fresh
    rule_briefs = [_rule_based(text) for text in texts]
    readings = [
        LabelledReading(want, rule, {o.model: o.brief for o in outs}) if rule else None
        for want, rule, outs in zip(expected, rule_briefs, outcomes, strict=True)
    ]
    rows = _score(config, expected, rule_briefs, outcomes, _cross_validated(readings))
    _print_table(rows, len(cases), seconds)
    if args.out:
        replies = [[o.model_dump(mode="json") for o in outs] for outs in outcomes]
        provenance = {
            "command": f"bench/llm_eval.py --env {args.env} --out {args.out.name}",
            "commit": commit,
            "labelled_set": labelled,
        }
        if args.extend:
            provenance["extends"] = json.loads(args.extend.read_text())["provenance"]
            provenance["command"] += f" --extend {args.extend.name}"
        args.out.write_text(
            json.dumps({"provenance": provenance, "rows": rows, "replies": replies}, indent=1)
        )
    if args.calibrate:
        source = f"replies of {earlier}" if earlier else "live replies"
        source += " and live replies" if args.extend else ""
        provenance_line = (
            f"bench/llm_eval.py --env {args.env} --calibrate at {commit}, {source}, "
            f"{labelled[:40]}..., {len(cases)} briefs"
        )
        calibration = fit([r for r in readings if r is not None])
        print(_as_settings(calibration, args.env, provenance_line))


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="development")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--out", type=Path, default=None, help="also write rows and replies as JSON"
    )
    earlier = parser.add_mutually_exclusive_group()
    earlier.add_argument("--replies", type=Path, default=None, help="replies of an earlier --out")
    earlier.add_argument(
        "--extend", type=Path, default=None, help="like --replies; ask for the briefs it lacks"
    )
    parser.add_argument("--calibrate", action="store_true", help="print fitted evidence")
    return parser.parse_args()


def _score(
    config: EnsembleConfig,
    expected: list[Brief],
    rule_briefs: list[Brief | None],
    outcomes: list[tuple[ModelOutcome, ...]],
    cross_validated: list[Brief | None],
) -> dict[str, dict[str, float]]:
    """One row per source: the rules, each enabled model, the ensemble, its CV estimate."""
    models = [m.name for m in config.enabled_models]
    cards = {name: Scorecard() for name in ["rule_based", *models, "ensemble", "ensemble_cv"]}
    for want, rule, outs, cv in zip(expected, rule_briefs, outcomes, cross_validated, strict=True):
        cards["rule_based"].add(rule, want)
        briefs = {o.model: o.brief for o in outs}
        for model in models:
            cards[model].add(briefs.get(model), want)
        combined = (
            combine_outcomes(config, outs, Interpretation(brief=rule)).brief if rule else None
        )
        cards["ensemble"].add(combined, want)
        cards["ensemble_cv"].add(cv, want)
    return {name: card.row() for name, card in cards.items()}


def _as_settings(calibration: Calibration, env: str, provenance: str) -> str:
    lines = [f"[{env}.llm_ensemble]", f"family_floor = {calibration.family_floor}"]
    for model, evidence in calibration.evidence.items():
        lines += [
            "",
            f"[{env}.llm_ensemble.models.{model}]",
            f'calibrated_by = "{provenance}"',
            "",
            f"[{env}.llm_ensemble.models.{model}.evidence]",
        ]
        lines += [
            f"{field} = {{ confirms = {e.confirms}, adds = {e.adds}, omits = {e.omits} }}"
            for field, e in evidence.items()
        ]
    return "\n".join(lines)


def _print_table(rows: dict[str, dict[str, float]], n: int, seconds: float | None) -> None:
    columns = list(next(iter(rows.values())))
    timing = f"ensemble wall time {seconds:.1f} s" if seconds is not None else "earlier replies"
    print(f"{n} briefs, {timing}")
    print(f"{'source':<12}" + "".join(f"{c[:13]:>14}" for c in columns))
    for name, row in rows.items():
        print(f"{name:<12}" + "".join(f"{row[c]:>14.2f}" for c in columns))


if __name__ == "__main__":
    main()
