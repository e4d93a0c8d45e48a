"""`fragrance-ai interpret "<brief>"`: what a reader understood, field by field, and who
decided each field. Offline, like `formulate`: the ensemble's models load from this
machine, as the settings of APP_ENV name them."""

import argparse
import asyncio
import json
from typing import Any

from fragrance_ai.llm.ensemble import RULE_BASED
from schemas.brief import Brief, Interpretation

LABELS = {
    "family_weights": "families",
    "wanted_notes": "wanted notes",
    "wanted_materials": "wanted materials",
    "excluded_materials": "excluded materials",
    "excluded_families": "excluded families",
    "excluded_notes": "excluded notes",
    "concentration": "concentration",
    "product": "product",
    "style": "style",
    "season": "season",
    "gender": "gender",
    "budget_per_kg": "budget ($/kg)",
    "max_materials": "max materials",
}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "interpret",
        help="show how a brief is read, field by field, offline",
        description="Read a brief and print each field, the source that decided it "
        "and the words it was read from.",
    )
    parser.add_argument("brief", help='e.g. "warm vanilla and amber for winter, no musk"')
    parser.add_argument(
        "--reader",
        choices=("rules", "ensemble"),
        default="rules",
        help="the rule-based interpreter (default), or the LLM ensemble of the settings",
    )
    parser.add_argument("--json", action="store_true", help="print the reading as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    interpretation, details = asyncio.run(_read(args.brief, args.reader))
    fields = field_sources(interpretation, details)
    if args.json:
        print(json.dumps(_as_json(args.reader, interpretation, details, fields), indent=2))
    else:
        print(render(args.reader, interpretation, fields))
    return 0


async def _read(text: str, reader: str) -> tuple[Interpretation, dict[str, Any]]:
    # imported here so that every other subcommand starts without the interpreter or torch
    from fragrance_ai.workers.interpreting import EnsembleReader, RuleBasedReader

    rule_based = await RuleBasedReader().read(text)  # text the rules refuse loads no model
    if reader == "rules":
        return rule_based
    from fragrance_ai.config_loader import load_llm_config, load_settings
    from fragrance_ai.llm import parse_ensemble_config
    from fragrance_ai.llm.service import load_ensemble

    config = parse_ensemble_config(load_llm_config(load_settings()))
    ensemble = await asyncio.to_thread(load_ensemble, config)
    try:
        return await EnsembleReader(ensemble).read(text)
    finally:
        await ensemble.aclose()


def field_sources(
    interpretation: Interpretation, details: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """Per Brief field: who decided it, with what confidence, from which words. A field
    the rules decided without words was not named, or took the brief's default."""
    decisions = details.get("fields", {})
    fields = {}
    for field in Brief.model_fields:
        decision = decisions.get(field, {"decided_by": [RULE_BASED], "confidence": None})
        words = interpretation.evidence.get(field, [])
        decided_by = list(decision["decided_by"])
        if decided_by == [RULE_BASED] and not words:
            unset = getattr(interpretation.brief, field) in (None, (), {})
            decided_by = [f"{RULE_BASED} ({'nothing named' if unset else 'default'})"]
        fields[field] = {
            "decided_by": decided_by,
            "confidence": decision["confidence"],
            "words": words,
        }
    return fields


def render(reader: str, interpretation: Interpretation, fields: dict[str, dict[str, Any]]) -> str:
    lines = [f"Understood by the {reader} reader"]
    values = {field: _value(interpretation.brief, field) or "-" for field in LABELS}
    width = max(len(value) for value in values.values())
    for field, label in LABELS.items():
        source = fields[field]
        decided = " + ".join(source["decided_by"])
        if source["confidence"] is not None:
            decided += f" (p {source['confidence']:.2f})"
        words = ", ".join(f"'{w}'" for w in source["words"])
        line = f"  {label:<19} {values[field]:<{width}}  {decided}"
        lines.append(line + (f": {words}" if words else ""))
    if interpretation.notes:
        lines += ["  notes:", *(f"    - {note}" for note in interpretation.notes)]
    return "\n".join(lines)


def _value(brief: Brief, field: str) -> str:
    if field == "family_weights":
        profile = sorted(brief.target_profile().items(), key=lambda kv: (-kv[1], kv[0].value))
        return ", ".join(f"{family.value} {100 * share:.0f}%" for family, share in profile)
    value = getattr(brief, field)
    if isinstance(value, tuple):
        return ", ".join(str(item) for item in value)
    return "" if value is None else str(value)


def _as_json(
    reader: str,
    interpretation: Interpretation,
    details: dict[str, Any],
    fields: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    brief = interpretation.brief.model_dump(mode="json")
    return {
        "reader": reader,
        "brief": brief,
        "fields": {f: {"value": brief[f], **source} for f, source in fields.items()},
        "notes": interpretation.notes,
        "models": [
            {"model": o["model"], "valid": o["valid"], "error": o["error"]}
            for o in details.get("outcomes", [])
        ],
    }
