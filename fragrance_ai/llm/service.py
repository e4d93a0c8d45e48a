"""The ensemble as a service: clean the brief, ask every model at once (each model's
attempt: ask, validate, at most one repair, then give up), combine. And building it,
once per process: locate, load and warm up every enabled model.

Each model lives on a thread of its own, from loading to its last batch. torch's CPU
kernels run on an OpenMP team that belongs to the thread calling them, and GNU OpenMP
stops its teams' threads from spinning between kernels once it manages more threads
than there are cores: a second team, from loading on one thread and generating on
another, is enough, and a decode step's many short kernels then each wait for sleeping
threads to wake: bfloat16 steps took 1.4 times as long (bench/model_thread.py), whole
replies up to twice as long.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from fragrance_ai.catalog import DESCRIPTOR_FAMILY, load_catalog
from fragrance_ai.llm.config import Backend, EnsembleConfig, ModelSpec
from fragrance_ai.llm.ensemble import (
    RULE_BASED,
    EnsembleResult,
    FieldDecision,
    ModelOutcome,
    Reading,
    combine,
)
from fragrance_ai.llm.errors import ModelUnavailableError
from fragrance_ai.llm.generation import BatchingGenerator, Generation, TransformersGenerator
from fragrance_ai.llm.loading import check_loadable, load_model
from fragrance_ai.llm.prompt import (
    Prompt,
    brief_prompt,
    clean_brief_text,
    enforce_token_budget,
    repair_prompt,
    shared_messages,
)
from fragrance_ai.llm.remote import ServedModel
from fragrance_ai.llm.reply import parse_reply
from fragrance_ai.llm.sources import LocatedModel, locate_enabled
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


# Building the ensemble.
def read_by_rules(text: str) -> Interpretation:
    """The rule-based interpreter's reading; imported late so the LLM package loads alone."""
    from fragrance_ai.interpreter.interpreter import interpret

    return interpret(text)


def load_ensemble(config: EnsembleConfig, rule_based: RuleBased = read_by_rules) -> LLMEnsemble:
    """Blocking and slow (model loading): call it once at start-up, off the event loop.

    Raises ModelsMissingError naming every missing model and where it was looked for,
    and QuantizationUnavailableError / BackendNotInstalledError before loading anything.
    """
    return assemble_ensemble(config, load_generators(config), rule_based, served_models(config))


def load_generators(config: EnsembleConfig) -> dict[str, TransformersGenerator]:
    """Every enabled model that runs in this process loaded, its shared prefix cached,
    and warmed up."""
    local = [spec for spec in config.enabled_models if spec.backend is not Backend.OPENAI]
    for spec in local:
        check_loadable(spec)
    located = locate_enabled(local, config.hf_home, config.model_dirs)
    generators: dict[str, TransformersGenerator] = {}
    for spec in local:
        thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"llm-{spec.name}")
        ready = thread.submit(_ready, spec, located[spec.name], config.onnx_dir, thread)
        generators[spec.name] = ready.result()
    return generators


def _ready(
    spec: ModelSpec, location: LocatedModel, onnx_dir: str | None, thread: ThreadPoolExecutor
) -> TransformersGenerator:
    generator = TransformersGenerator(
        load_model(spec, location, onnx_dir), shared=shared_messages(), thread=thread
    )
    generator.warm_up()
    return generator


def served_models(config: EnsembleConfig) -> dict[str, ServedModel]:
    """A client for every enabled model on an inference server; nothing is loaded."""
    return {
        spec.name: ServedModel(spec, config.request_timeout_s)
        for spec in config.enabled_models
        if spec.backend is Backend.OPENAI
    }


def assemble_ensemble(
    config: EnsembleConfig,
    generators: Mapping[str, TransformersGenerator],
    rule_based: RuleBased = read_by_rules,
    served: Mapping[str, ServedModel] | None = None,
) -> LLMEnsemble:
    """The service over loaded generators, each behind a batcher set by `config`, and
    over served models, which the server batches."""
    members = {
        name: Member(
            spec=generator.spec,
            batcher=BatchingGenerator(
                generator,
                window_s=config.batch_window_ms / 1000,
                max_batch_size=config.max_batch_size,
                timeout_s=config.request_timeout_s,
                thread=generator.thread,
            ),
            tokenizer=generator.tokenizer,
        )
        for name, generator in generators.items()
    }
    for name, model in (served or {}).items():
        members[name] = Member(spec=model.spec, batcher=model, tokenizer=None)
    catalog_ids = [material.id for material in load_catalog()]
    return LLMEnsemble(config, members, rule_based, catalog_ids, DESCRIPTOR_FAMILY.keys())
