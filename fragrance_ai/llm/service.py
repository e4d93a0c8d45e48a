"""The ensemble as a service: clean the brief, ask every model at once (each model's
attempt: ask, validate, at most one repair, then give up), combine."""

import asyncio
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Protocol

from fragrance_ai.llm.brief_text import clean_brief_text, enforce_token_budget
from fragrance_ai.llm.config import EnsembleConfig, ModelSpec
from fragrance_ai.llm.ensemble import (
    RULE_BASED,
    EnsembleResult,
    FieldDecision,
    ModelOutcome,
    Reading,
    combine,
)
from fragrance_ai.llm.errors import ModelUnavailableError
from fragrance_ai.llm.generation import Generation
from fragrance_ai.llm.parsing import parse_reply
from fragrance_ai.llm.prompt import Prompt, brief_prompt, repair_prompt
from schemas.brief import Brief, Interpretation

RuleBased = Callable[[str], Interpretation]


class Generator(Protocol):
    """What answers a model's prompts: a BatchingGenerator, or a ServedModel."""

    async def generate(self, prompt: Prompt) -> Generation: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class Member:
    """An enabled model as the service uses it."""

    spec: ModelSpec
    batcher: Generator
    tokenizer: object | None
    """None for a served model: only the character bound applies here, the server
    checks the rest."""


class LLMEnsemble:
    """Interprets brief text with every enabled model and the rule-based interpreter."""

    def __init__(
        self,
        config: EnsembleConfig,
        members: Mapping[str, Member],
        rule_based: RuleBased,
        material_ids: Collection[str],
        note_words: Collection[str],
    ) -> None:
        self.config = config
        self.members = dict(members)
        self._rule_based = rule_based
        self._material_ids = frozenset(material_ids)
        self._note_words = frozenset(note_words)

    def prepare(self, text: str) -> str:
        """Clean untrusted text and check it against every member's token budget."""
        cleaned = clean_brief_text(text)
        for member in self.members.values():
            enforce_token_budget(cleaned, member.tokenizer, self.config.max_input_tokens)
        return cleaned

    async def interpret(self, text: str) -> EnsembleResult:
        """Raises the rules' BriefError, before any model is asked, for text they refuse
        (empty, too long, no scent words, off topic, contradictory): the ensemble abstains
        rather than let a model invent a brief. A model's failure is recorded, never
        raised."""
        cleaned = self.prepare(text)
        rules = await asyncio.to_thread(self._rule_based, cleaned)
        outcomes = await asyncio.gather(
            *(
                attempt_brief(
                    name,
                    member.batcher.generate,
                    cleaned,
                    self._material_ids,
                    self._note_words,
                    self.config.repair_attempts,
                )
                for name, member in self.members.items()
            )
        )
        return combine_outcomes(self.config, tuple(outcomes), rules)

    async def aclose(self) -> None:
        for member in self.members.values():
            await member.batcher.aclose()


Ask = Callable[[Prompt], Awaitable[Generation]]


async def attempt_brief(
    model: str,
    ask: Ask,
    text: str,
    material_ids: Collection[str],
    note_words: Collection[str],
    repair_attempts: int = 1,
) -> ModelOutcome:
    """One model's attempt at a brief: ask, validate, at most one repair, then give up.
    Never raises for a bad reply, a timeout or an unavailable server: the outcome
    records it as invalid."""
    started = time.perf_counter()
    prompt = brief_prompt(text, material_ids, note_words)
    try:
        first = await ask(prompt)
    except TimeoutError:
        return _failed(model, "", started, 0, "generation timed out")
    except ModelUnavailableError as error:
        return _failed(model, "", started, 0, str(error))
    parsed = parse_reply(first.text, material_ids, note_words)
    repair_text: str | None = None
    tokens = first.tokens
    if parsed.brief is None and repair_attempts > 0:
        try:
            repair = await ask(repair_prompt(prompt, first.text, parsed.error or ""))
        except TimeoutError:
            return _failed(model, first.text, started, tokens, "repair generation timed out")
        except ModelUnavailableError as error:
            return _failed(model, first.text, started, tokens, str(error))
        repair_text, tokens = repair.text, tokens + repair.tokens
        parsed = parse_reply(repair.text, material_ids, note_words)
    return ModelOutcome(
        model=model,
        raw_output=first.text,
        repair_output=repair_text,
        latency_s=time.perf_counter() - started,
        tokens_generated=tokens,
        valid=parsed.brief is not None,
        error=parsed.error,
        brief=parsed.brief,
    )


def _failed(model: str, raw: str, started: float, tokens: int, error: str) -> ModelOutcome:
    return ModelOutcome(
        model=model,
        raw_output=raw,
        latency_s=time.perf_counter() - started,
        tokens_generated=tokens,
        valid=False,
        error=error,
    )


def combine_outcomes(
    config: EnsembleConfig, outcomes: tuple[ModelOutcome, ...], rules: Interpretation
) -> EnsembleResult:
    """The rule-based reading combined with every valid model brief, each model weighing
    only on the fields its calibration covers; with no valid model brief the rule-based
    brief is the whole answer."""
    specs = {spec.name: spec for spec in config.models}
    readings = [
        Reading(source=o.model, brief=o.brief, evidence=specs[o.model].evidence)
        for o in outcomes
        if o.brief is not None
    ]
    brief, fields = combine(rules.brief, readings, config.family_floor)
    return EnsembleResult(
        interpretation=explain(brief, fields, outcomes, rules),
        outcomes=outcomes,
        fields=fields,
        fallback_used=not readings,
    )


def explain(
    brief: Brief,
    fields: Mapping[str, FieldDecision],
    outcomes: tuple[ModelOutcome, ...],
    rules: Interpretation,
) -> Interpretation:
    """The combined brief, with the rules' words for the fields the rules helped decide,
    and a note for each field a model decided without them."""
    models = ", ".join(f"{o.model} ({'valid' if o.valid else 'invalid'})" for o in outcomes)
    notes = [f"read by the ensemble: {models}, and the rule-based interpreter"]
    if not any(o.brief is not None for o in outcomes):
        notes.append("no model gave a valid brief: the rule-based reading stands alone")
    for field, decision in fields.items():
        if decision.decided_by and RULE_BASED not in decision.decided_by:
            notes.append(f"{field}: read by {', '.join(decision.decided_by)}")
    evidence = {
        field: words
        for field, words in rules.evidence.items()
        if field not in fields or RULE_BASED in fields[field].decided_by
    }
    return Interpretation(brief=brief, evidence=evidence, notes=[*notes, *rules.notes])
