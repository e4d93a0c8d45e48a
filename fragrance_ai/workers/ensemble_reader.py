"""Brief text read by the LLM ensemble, with a shared cache in PostgreSQL."""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fragrance_ai.interpreter import interpret
from fragrance_ai.interpreter.errors import BriefError
from fragrance_ai.llm.cache_key import cache_key
from fragrance_ai.llm.errors import NoInterpretationError
from fragrance_ai.llm.metrics import LLM_CACHE_HITS, LLM_CACHE_MISSES
from fragrance_ai.llm.results import RULE_BASED, EnsembleResult
from fragrance_ai.store import JobStore
from schemas.interpretation import Interpretation

if TYPE_CHECKING:
    from fragrance_ai.llm.service import LLMEnsemble


class UnreadableBriefError(BriefError):
    """No source of the ensemble could read the brief, or the text was refused."""


@dataclass(frozen=True)
class BriefCache:
    store: JobStore
    ttl_s: float

    async def get(self, key: str) -> dict[str, Any] | None:
        value = await self.store.cache_get(key)
        (LLM_CACHE_HITS if value is not None else LLM_CACHE_MISSES).inc()
        return value

    async def put(self, key: str, value: dict[str, Any]) -> None:
        await self.store.cache_put(key, value, self.ttl_s)


@dataclass
class EnsembleReader:
    ensemble: "LLMEnsemble"
    cache: BriefCache | None = None

    async def read(self, text: str) -> tuple[Interpretation, dict[str, Any]]:
        key = cache_key(text, self.ensemble.config)
        if self.cache is not None and (hit := await self.cache.get(key)) is not None:
            details = {**hit["details"], "cache": "hit"}
            return Interpretation.model_validate(hit["interpretation"]), details
        try:
            result = await self.ensemble.interpret(text)
        except NoInterpretationError as exc:
            raise UnreadableBriefError(str(exc)) from exc
        interpretation = explain(text, result)
        details = {"source": "ensemble", **result.model_dump(mode="json", exclude={"brief"})}
        if self.cache is not None:
            await self.cache.put(
                key, {"interpretation": interpretation.model_dump(mode="json"), "details": details}
            )
        return interpretation, details


def explain(text: str, result: EnsembleResult) -> Interpretation:
    """The combined brief, with the rule-based reading's words for the fields the rules
    helped decide, and a note for each field a model decided without them."""
    models = ", ".join(f"{o.model} ({'valid' if o.valid else 'invalid'})" for o in result.outcomes)
    notes = [f"read by the ensemble: {models}, and the rule-based interpreter"]
    if result.fallback_used:
        notes.append("no model gave a valid brief: the rule-based reading stands alone")
    for field, decision in result.fields.items():
        if decision.decided_by and RULE_BASED not in decision.decided_by:
            notes.append(f"{field}: read by {', '.join(decision.decided_by)}")
    rule_based = interpret(text)
    evidence = {
        field: words
        for field, words in rule_based.evidence.items()
        if field not in result.fields or RULE_BASED in result.fields[field].decided_by
    }
    return Interpretation(brief=result.brief, evidence=evidence, notes=[*notes, *rule_based.notes])
